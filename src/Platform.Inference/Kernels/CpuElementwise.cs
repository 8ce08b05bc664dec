using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Platform.Inference.Kernels;

/// <summary>
/// The two elementwise steps of a Llama layer that vLLM fuses into one kernel each (<c>silu_and_mul</c>,
/// <c>rotary_embedding</c>), done in C# on the CPU for inference. Each LibTorch operator of theirs wakes the
/// intra-op threads: on two cores a SiLU over a 32-row decode batch took about 0.3 ms and the rotation about
/// 0.35 ms, per layer, where the arithmetic is tens of microseconds (docs/engine.md, "CPU kernels"). Rows are done
/// one at a time, so every row is computed the same way whatever the batch: batch-invariant. They take decode-sized
/// inputs (at most <see cref="CpuGemv.MaxRows"/> positions, like the GEMV kernel); a prefill's thousands of rows keep
/// LibTorch's threaded operators, and so does anything else (a GPU tensor, another dtype, autograd).
/// </summary>
public static unsafe class CpuElementwise
{
    /// <summary>Turns these kernels off (for comparing with LibTorch in benchmarks and tests).</summary>
    public static bool Enabled { get; set; } = true;

    private static bool Applies(Tensor tensor) =>
        Enabled && tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32
        && !tensor.requires_grad && !is_grad_enabled();

    /// <summary>
    /// silu(gate)·up for <paramref name="both"/> [.., 2·<paramref name="size"/>] holding gate then up in its last
    /// dimension (the fused gate/up product): [.., size], silu(g) = g·sigmoid(g).
    /// </summary>
    public static Tensor SiluAndMul(Tensor both, long size)
    {
        if (!Applies(both) || !both.is_contiguous() || both.shape[^1] != 2 * size || both.NumberOfElements > CpuGemv.MaxRows * 2 * size)
        {
            return nn.functional.silu(both.narrow(-1, 0, size)).mul_(both.narrow(-1, size, size));
        }
        var shape = both.shape.ToArray();
        shape[^1] = size;
        var output = empty(shape, ScalarType.Float32);
        float* input = Pointer(both), result = Pointer(output);
        var rows = both.NumberOfElements / (2 * size);
        var width = (int)size;
        for (long row = 0; row < rows; row++)
        {
            SiluAndMulRow(input + row * 2 * size, result + row * size, width);
        }
        GC.KeepAlive(both);
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private static void SiluAndMulRow(float* gateAndUp, float* output, int size)
    {
        var gate = new ReadOnlySpan<float>(gateAndUp, size);
        var result = new Span<float>(output, size);
        TensorPrimitives.Sigmoid(gate, result);
        TensorPrimitives.Multiply(result, gate, result);
        TensorPrimitives.Multiply(result, new ReadOnlySpan<float>(gateAndUp + size, size), result);
    }

    /// <summary>
    /// Whether <see cref="Rotate"/> takes these tensors: CPU F32 inference, <paramref name="x"/> [B, T, heads, head_dim]
    /// with its heads contiguous within each position (a slice of the fused q/k/v product qualifies), the tables
    /// [B, T, 1, head_dim] contiguous.
    /// </summary>
    public static bool RotaryApplies(Tensor x, Tensor cos, Tensor signedSin) =>
        Applies(x) && x.dim() == 4 && x.shape[0] * x.shape[1] <= CpuGemv.MaxRows && cos.dtype == ScalarType.Float32 && signedSin.dtype == ScalarType.Float32
        && cos.device_type == DeviceType.CPU && signedSin.device_type == DeviceType.CPU
        && cos.is_contiguous() && signedSin.is_contiguous() && x.stride(3) == 1 && x.stride(2) == x.shape[3]
        && x.stride(0) == x.shape[1] * x.stride(1) && cos.NumberOfElements == x.shape[0] * x.shape[1] * x.shape[3]
        && signedSin.NumberOfElements == cos.NumberOfElements;

    /// <summary>
    /// x·cos + rotate_half(x)·sin for every head of every position (rotate_half's negation is in the signed sin
    /// table), into a new contiguous tensor shaped like <paramref name="x"/>. Call <see cref="RotaryApplies"/> first.
    /// </summary>
    public static Tensor Rotate(Tensor x, Tensor cos, Tensor signedSin)
    {
        long batch = x.shape[0], length = x.shape[1], heads = x.shape[2], headDim = x.shape[3], stride = x.stride(1);
        var output = empty([batch, length, heads, headDim], ScalarType.Float32);
        float* input = Pointer(x), result = Pointer(output), c = Pointer(cos), s = Pointer(signedSin);
        var half = (int)headDim / 2;
        for (long position = 0; position < batch * length; position++)
        {
            float* row = input + position * stride, table = c + position * headDim, sines = s + position * headDim;
            for (long head = 0; head < heads; head++)
            {
                RotateHead(row + head * headDim, result + (position * heads + head) * headDim, table, sines, half);
            }
        }
        GC.KeepAlive(x);
        GC.KeepAlive(cos);
        GC.KeepAlive(signedSin);
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RotateHead(float* x, float* output, float* cos, float* signedSin, int half)
    {
        ReadOnlySpan<float> first = new(x, half), second = new(x + half, half);
        Span<float> outFirst = new(output, half), outSecond = new(output + half, half);
        // First half: x₁·cos − x₂·sin; second: x₂·cos + x₁·sin (the sign is in the table).
        TensorPrimitives.Multiply(first, new ReadOnlySpan<float>(cos, half), outFirst);
        TensorPrimitives.MultiplyAdd(second, new ReadOnlySpan<float>(signedSin, half), outFirst, outFirst);
        TensorPrimitives.Multiply(second, new ReadOnlySpan<float>(cos + half, half), outSecond);
        TensorPrimitives.MultiplyAdd(first, new ReadOnlySpan<float>(signedSin + half, half), outSecond, outSecond);
    }

    private static float* Pointer(Tensor tensor) => (float*)tensor.storage<float>().data_ptr() + tensor.storage_offset();
}
