using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Kernels;

/// <summary>
/// <c>linear</c> for one input row on the CPU (batch-1 decode): y = W·x (+ b) with W row-major
/// [out, in], F32, split by rows over LibTorch's thread count, SIMD dot products with four rows in
/// flight so each pass over x serves four weight rows. LibTorch hands this case to MKL's GEMV,
/// which on AMD CPUs takes a generic code path: on dev-2c (AMD EPYC, AVX-512) it read 18 GB/s
/// where this kernel reads 35 GB/s (docs/performance.md, "Inference engine"). Every other case —
/// several rows, other dtypes or devices, autograd — stays with LibTorch.
/// </summary>
public static unsafe class CpuGemv
{
    /// <summary>Whether this process can run the kernel (a 512- or 256-bit SIMD unit).</summary>
    public static bool Supported { get; } = Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;

    /// <summary>
    /// Threads one product is split over: LibTorch's intra-op thread count unless set (or set by
    /// PLATFORM_GEMV_THREADS). They share the cores with LibTorch's OpenMP threads, which is why
    /// <see cref="TorchRuntime"/> asks OpenMP to wait passively.
    /// </summary>
    public static int? Threads { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_GEMV_THREADS"), out var t) && t > 0 ? t : null;

    /// <summary>Turns the kernel off (for comparing with LibTorch in benchmarks and tests).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary><c>nn.functional.linear(input, weight, bias)</c>, through the kernel when it applies.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (!Applies(input, weight, bias))
        {
            return nn.functional.linear(input, weight, bias);
        }
        long rows = weight.shape[0], cols = weight.shape[1];
        var shape = input.shape.ToArray();
        shape[^1] = rows;
        var output = empty(shape, ScalarType.Float32);
        var x = input.is_contiguous() ? input : input.contiguous();
        Multiply(Pointer(weight), Pointer(x), Pointer(output), (int)rows, (int)cols, Threads ?? torch.get_num_threads());
        if (bias is not null)
        {
            output.add_(bias);
        }
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        return output;
    }

    private static bool Applies(Tensor input, Tensor weight, Tensor? bias) =>
        Enabled && Supported
        && input.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU
        && input.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
        && weight.dim() == 2 && weight.is_contiguous() && input.shape[^1] == weight.shape[1]
        && input.NumberOfElements == weight.shape[1]
        && !input.requires_grad && !weight.requires_grad
        && (bias is null || (bias.dtype == ScalarType.Float32 && bias.device_type == DeviceType.CPU && !bias.requires_grad));

    private static float* Pointer(Tensor tensor) => (float*)tensor.storage<float>().data_ptr() + tensor.storage_offset();

    /// <summary>y[o] = Σ_i w[o·cols + i]·x[i] for o in [0, rows), split into <paramref name="parts"/> row ranges run in parallel.</summary>
    internal static void Multiply(float* w, float* x, float* y, int rows, int cols, int parts)
    {
        parts = Math.Clamp(parts, 1, Math.Max(1, rows / 64));
        if (parts == 1)
        {
            Rows(w, x, y, 0, rows, cols);
            return;
        }
        // Row ranges in multiples of 4, so every part but the last runs whole 4-row groups.
        var chunk = (rows / parts + 3) & ~3;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = p * chunk, end = p == parts - 1 ? rows : Math.Min(rows, start + chunk);
            if (start < end)
            {
                Rows(w, x, y, start, end, cols);
            }
        });
    }

    private static void Rows(float* w, float* x, float* y, int start, int end, int cols)
    {
        var o = start;
        for (; o + 4 <= end; o += 4)
        {
            float* r0 = w + (long)o * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
            float s0, s1, s2, s3;
            var i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 16 <= cols; i += 16)
                {
                    var v = Vector512.Load(x + i);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(r0 + i), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(r1 + i), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(r2 + i), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(r3 + i), v, a3);
                }
                (s0, s1, s2, s3) = (Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3));
            }
            else
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 8 <= cols; i += 8)
                {
                    var v = Vector256.Load(x + i);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + i), v, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + i), v, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + i), v, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(r3 + i), v, a3);
                }
                (s0, s1, s2, s3) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
            }
            for (; i < cols; i++)
            {
                s0 += r0[i] * x[i];
                s1 += r1[i] * x[i];
                s2 += r2[i] * x[i];
                s3 += r3[i] * x[i];
            }
            y[o] = s0;
            y[o + 1] = s1;
            y[o + 2] = s2;
            y[o + 3] = s3;
        }
        for (; o < end; o++)
        {
            float* r = w + (long)o * cols;
            var s = 0f;
            for (var i = 0; i < cols; i++)
            {
                s += r[i] * x[i];
            }
            y[o] = s;
        }
    }
}
