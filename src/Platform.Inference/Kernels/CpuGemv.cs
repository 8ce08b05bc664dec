using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Kernels;

/// <summary>
/// <c>linear</c> for up to <see cref="MaxRows"/> input rows on the CPU (decode steps): y = x·Wᵀ (+ b)
/// with W row-major [out, in], F32, split by weight rows over LibTorch's thread count. LibTorch hands this case to
/// MKL's GEMV, which on AMD CPUs takes a generic code path: on dev-2c (AMD EPYC, AVX-512) it read 18 GB/s where
/// this kernel reads 35 GB/s (docs/performance.md, "Inference engine"). Where 512-bit SIMD is hardware the product
/// runs on a <see cref="PackedMatrix"/> copy of W (outer products, no horizontal sums); elsewhere, and for the
/// raw-pointer calls of <see cref="CpuDecodeStep"/>, as SIMD dot products of four weight rows with four input rows
/// at a time, so the weights stream from memory once per four inputs. Every other case — more rows, other dtypes
/// or devices, autograd — stays with LibTorch.
/// </summary>
public static unsafe class CpuGemv
{
    /// <summary>Most input rows the kernel takes (decode batches); more rows (prefill) go to LibTorch's GEMM.</summary>
    public const int MaxRows = 64;

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
        var batch = (int)(x.NumberOfElements / cols);
        var threads = Threads ?? torch.get_num_threads();
        if (Packing)
        {
            PackedFor(weight).Multiply(Pointer(x), Pointer(output), batch, threads);
        }
        else
        {
            Multiply(Pointer(weight), Pointer(x), Pointer(output), (int)rows, (int)cols, batch, threads);
        }
        if (bias is not null)
        {
            output.add_(bias);
        }
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        return output;
    }

    /// <summary>
    /// <paramref name="output"/> += <paramref name="input"/>·<paramref name="weight"/>ᵀ, in place (<paramref name="output"/>
    /// contiguous [.., out]): through the kernel when it applies, else one fused <c>addmm_</c> rather than a product and an add.
    /// A caller applying the same weight many times can pass its transpose (a view), saving that call each time.
    /// </summary>
    public static void AddLinear(Tensor output, Tensor input, Tensor weight, Tensor? transposed = null)
    {
        if (Applies(input, weight, null))
        {
            using var product = Linear(input, weight);
            output.PlusInPlace(product);
            return;
        }
        using var rows = output.view(-1, weight.shape[0]);
        using var inputs = input.dim() == 2 ? null : input.reshape(-1, weight.shape[1]);
        if (transposed is null)
        {
            using var t = weight.t();
            rows.addmm_(inputs ?? input, t);
        }
        else
        {
            rows.addmm_(inputs ?? input, transposed);
        }
        GC.KeepAlive(output);
    }

    /// <summary>
    /// Whether <see cref="Linear"/> multiplies by a <see cref="PackedMatrix"/> copy of the weight (made on its first use,
    /// kept while the weight tensor lives), as it does where 512-bit SIMD is hardware; otherwise, or when turned off
    /// for a comparison, by the row-by-row dot products below.
    /// </summary>
    public static bool Packing { get; set; } = Vector512.IsHardwareAccelerated;

    private static readonly ConditionalWeakTable<Tensor, PackedMatrix> PackedCopies = new();

    /// <summary>
    /// Drops every packed copy, for after weights were changed in place (an adapter merged into the base weights); the
    /// next product packs them again.
    /// </summary>
    public static void ForgetPacked() => PackedCopies.Clear();

    private static PackedMatrix PackedFor(Tensor weight)
    {
        if (PackedCopies.TryGetValue(weight, out var packed) && packed.Source == (IntPtr)Pointer(weight))
        {
            return packed;
        }
        packed = PackedMatrix.Pack(weight);
        PackedCopies.AddOrUpdate(weight, packed);
        return packed;
    }

    private static bool Applies(Tensor input, Tensor weight, Tensor? bias) =>
        Enabled && Supported
        && input.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU
        && input.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
        && weight.dim() == 2 && weight.is_contiguous() && input.shape[^1] == weight.shape[1]
        && input.NumberOfElements <= MaxRows * weight.shape[1]
        && !input.requires_grad && !weight.requires_grad
        && (bias is null || (bias.dtype == ScalarType.Float32 && bias.device_type == DeviceType.CPU && !bias.requires_grad));

    internal static float* Pointer(Tensor tensor) => (float*)tensor.storage<float>().data_ptr() + tensor.storage_offset();

    /// <summary>
    /// y[b·rows + o] = Σ_i w[o·cols + i]·x[b·cols + i] for every input row b &lt; <paramref name="batch"/> and
    /// o in [0, rows), the weight rows split into <paramref name="parts"/> ranges run in parallel.
    /// </summary>
    internal static void Multiply(float* w, float* x, float* y, int rows, int cols, int batch, int parts)
    {
        parts = Math.Clamp(parts, 1, Math.Max(1, rows / 64));
        if (parts == 1)
        {
            Block(w, x, y, 0, rows, rows, cols, batch);
            return;
        }
        // Row ranges in multiples of 4, so every part but the last runs whole 4-row groups.
        var chunk = (rows / parts + 3) & ~3;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = p * chunk, end = p == parts - 1 ? rows : Math.Min(rows, start + chunk);
            if (start < end)
            {
                Block(w, x, y, start, end, rows, cols, batch);
            }
        });
    }

    /// <summary>One single-input product y = W·x for <see cref="MultiplyTogether"/>.</summary>
    internal readonly struct Product(float* weight, float* input, float* output, int rows, int cols)
    {
        public float* Weight { get; } = weight;
        public float* Input { get; } = input;
        public float* Output { get; } = output;
        public int Rows { get; } = rows;
        public int Cols { get; } = cols;
    }

    /// <summary>
    /// Several single-input products in one parallel region (q, k and v of a layer; gate and up): each of the
    /// <paramref name="parts"/> workers takes its share of every product's rows, so there is one fork and join
    /// instead of one per product.
    /// </summary>
    internal static void MultiplyTogether(ReadOnlySpan<Product> products, int parts)
    {
        if (parts <= 1)
        {
            foreach (var p in products)
            {
                Block(p.Weight, p.Input, p.Output, 0, p.Rows, p.Rows, p.Cols, 1);
            }
            return;
        }
        var all = products.ToArray();
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            foreach (var p in all)
            {
                var chunk = (p.Rows / parts + 3) & ~3;
                int start = part * chunk, end = part == parts - 1 ? p.Rows : Math.Min(p.Rows, start + chunk);
                if (start < end)
                {
                    Block(p.Weight, p.Input, p.Output, start, end, p.Rows, p.Cols, 1);
                }
            }
        });
    }

    // Weight rows [start, end) against every input row. Four inputs at a time share each pass over
    // four weight rows (16 accumulators), so a decode batch streams the weights once per four rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private static void Block(float* w, float* x, float* y, int start, int end, int rows, int cols, int batch)
    {
        if (batch <= 4 || !Vector512.IsHardwareAccelerated)
        {
            BlockRange(w, x, y, start, end, rows, cols, batch);
            return;
        }
        // Many inputs: a tile of four weight rows stays in L1 beside a group of four inputs while every group passes
        // over it, so the weights come from memory once per step rather than once per four inputs (16-row tiles,
        // 48 KB at 768 columns, filled L1 and left both operands to L2: 32 inputs ran 10-20 % slower). The passes over a tile
        // also prefetch the next one: a model's weights do not fit in the last-level cache, and without it memory
        // sits idle while the later passes compute from cache (8 inputs ran at 25 GB/s and 100 GFLOP/s, 32 at 180).
        for (var o = start; o < end; o += RowTile)
        {
            var tileEnd = Math.Min(end, o + RowTile);
            var nextRows = Math.Min(end, tileEnd + RowTile) - tileEnd;
            BlockRange(w, x, y, o, tileEnd, rows, cols, batch, w + (long)tileEnd * cols, (long)nextRows * cols);
        }
    }

    private const int RowTile = 4;

    /// <summary>Floats per cache line: one prefetch instruction's reach.</summary>
    private const int LineFloats = 16;

    private static void BlockRange(float* w, float* x, float* y, int start, int end, int rows, int cols, int batch,
        float* prefetch = null, long prefetchFloats = 0)
    {
        var b = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Each group of four inputs prefetches its share of the next tile.
            var groups = batch / 4;
            var share = groups == 0 ? 0 : (prefetchFloats / groups + LineFloats - 1) / LineFloats * LineFloats;
            for (var g = 0; b + 4 <= batch; b += 4, g++)
            {
                var from = Math.Min(prefetchFloats, g * share);
                var count = Math.Min(prefetchFloats, from + share) - from;
                FourInputs(w, x + (long)b * cols, y + (long)b * rows, start, end, rows, cols, prefetch + from, count);
            }
        }
        for (; b < batch; b++)
        {
            Rows(w, x + (long)b * cols, y + (long)b * rows, start, end, cols);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private static void FourInputs(float* w, float* x, float* y, int start, int end, int rows, int cols, float* prefetch, long prefetchFloats)
    {
        float* x0 = x, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        // Lines of the next tile to prefetch per inner iteration, spread evenly over this call's iterations.
        var iterations = Math.Max(1L, (end - start) / 4 * (cols / 16));
        var lines = (prefetchFloats + LineFloats - 1) / LineFloats;
        var perIteration = (int)((lines + iterations - 1) / iterations);
        var prefetchEnd = prefetch + prefetchFloats;
        var canPrefetch = Sse.IsSupported && perIteration > 0;
        var sums = stackalloc float[16];
        var o = start;
        for (; o + 4 <= end; o += 4)
        {
            float* r0 = w + (long)o * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            var i = 0;
            for (; i + 16 <= cols; i += 16)
            {
                Vector512<float> v0 = Vector512.Load(x0 + i), v1 = Vector512.Load(x1 + i), v2 = Vector512.Load(x2 + i), v3 = Vector512.Load(x3 + i);
                var m = Vector512.Load(r0 + i);
                (a00, a01, a02, a03) = (Vector512.FusedMultiplyAdd(m, v0, a00), Vector512.FusedMultiplyAdd(m, v1, a01), Vector512.FusedMultiplyAdd(m, v2, a02), Vector512.FusedMultiplyAdd(m, v3, a03));
                m = Vector512.Load(r1 + i);
                (a10, a11, a12, a13) = (Vector512.FusedMultiplyAdd(m, v0, a10), Vector512.FusedMultiplyAdd(m, v1, a11), Vector512.FusedMultiplyAdd(m, v2, a12), Vector512.FusedMultiplyAdd(m, v3, a13));
                m = Vector512.Load(r2 + i);
                (a20, a21, a22, a23) = (Vector512.FusedMultiplyAdd(m, v0, a20), Vector512.FusedMultiplyAdd(m, v1, a21), Vector512.FusedMultiplyAdd(m, v2, a22), Vector512.FusedMultiplyAdd(m, v3, a23));
                m = Vector512.Load(r3 + i);
                (a30, a31, a32, a33) = (Vector512.FusedMultiplyAdd(m, v0, a30), Vector512.FusedMultiplyAdd(m, v1, a31), Vector512.FusedMultiplyAdd(m, v2, a32), Vector512.FusedMultiplyAdd(m, v3, a33));
                if (canPrefetch)
                {
                    for (var p = 0; p < perIteration && prefetch < prefetchEnd; p++, prefetch += LineFloats)
                    {
                        Sse.Prefetch0(prefetch);
                    }
                }
            }
            if (Avx512F.IsSupported)
            {
                TransposedSums.SumEach(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33).Store(sums);
            }
            else
            {
                Span<float> each =
                [
                    Vector512.Sum(a00), Vector512.Sum(a01), Vector512.Sum(a02), Vector512.Sum(a03),
                    Vector512.Sum(a10), Vector512.Sum(a11), Vector512.Sum(a12), Vector512.Sum(a13),
                    Vector512.Sum(a20), Vector512.Sum(a21), Vector512.Sum(a22), Vector512.Sum(a23),
                    Vector512.Sum(a30), Vector512.Sum(a31), Vector512.Sum(a32), Vector512.Sum(a33),
                ];
                each.CopyTo(new Span<float>(sums, 16));
            }
            for (var r = 0; r < 4; r++)
            {
                var row = w + (long)(o + r) * cols;
                for (var j = 0; j < 4; j++)
                {
                    var input = x + (long)j * cols;
                    var sum = sums[r * 4 + j];
                    for (var k = i; k < cols; k++)
                    {
                        sum += row[k] * input[k];
                    }
                    y[(long)j * rows + o + r] = sum;
                }
            }
        }
        for (var j = 0; j < 4 && o < end; j++)
        {
            Rows(w, x + (long)j * cols, y + (long)j * rows, o, end, cols);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
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
