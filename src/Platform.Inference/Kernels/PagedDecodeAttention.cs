using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Platform.Inference.Kernels;

/// <summary>
/// Decode attention straight from a paged KV pool on the CPU (what vLLM's paged_attention kernel does on a
/// GPU): each query head of each batch row reads its KV head's keys and values slot by slot from the pool,
/// through the row's block table, so nothing is gathered into a padded copy first. Gathering and then
/// calling LibTorch's attention wrote and re-read every row's whole history per layer per step; at 32 decode
/// rows that was most of the step's time outside the matrix products. One query position per row, F32.
/// </summary>
public static unsafe class PagedDecodeAttention
{
    /// <summary>Turns the kernel off (for comparing with gather + LibTorch attention in benchmarks and tests).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Whether the kernel takes these tensors: CPU, F32, one query position, contiguous pool storage.</summary>
    public static bool Applies(Tensor query, Tensor keys, Tensor values) =>
        Enabled && query.device_type == DeviceType.CPU && keys.device_type == DeviceType.CPU
        && query.dtype == ScalarType.Float32 && keys.dtype == ScalarType.Float32 && values.dtype == ScalarType.Float32
        && query.dim() == 4 && query.shape[2] == 1 && keys.is_contiguous() && values.is_contiguous()
        && !query.requires_grad;

    /// <summary>
    /// softmax(q·kᵀ/√d)·v for <paramref name="query"/> [B, heads, 1, head_dim] over row b's first
    /// <paramref name="lengths"/>[b] positions, whose pool slots are <paramref name="slots"/>[b · <paramref name="span"/> + j]
    /// in <paramref name="keys"/>/<paramref name="values"/> [slots, kv_heads, head_dim]. Returns [B, 1, heads · head_dim],
    /// the layout the output projection reads.
    /// </summary>
    public static Tensor Run(Tensor query, Tensor keys, Tensor values, long[] slots, int[] lengths, int span)
    {
        int batch = (int)query.shape[0], heads = (int)query.shape[1], headDim = (int)query.shape[3];
        int kvHeads = (int)keys.shape[1];
        var q = query.contiguous();
        var output = empty([batch, 1, (long)heads * headDim], ScalarType.Float32);
        float* qp = Pointer(q), kp = Pointer(keys), vp = Pointer(values), op = Pointer(output);
        var work = new Work(qp, kp, vp, op, slots, lengths, span, heads, kvHeads, headDim);
        var parts = Math.Max(1, CpuGemv.Threads ?? torch.get_num_threads());
        // A row at a time reads each of its slots whole (every head's key or value, contiguous), which streams
        // from memory; when there are fewer rows than threads, rows are split by head instead.
        var headsPerItem = batch >= parts ? heads : Math.Max(1, heads / Math.Max(1, parts / batch));
        var itemsPerRow = (heads + headsPerItem - 1) / headsPerItem;
        var items = batch * itemsPerRow;
        parts = Math.Min(parts, items);
        if (parts == 1)
        {
            work.Items(0, items, itemsPerRow, headsPerItem);
        }
        else
        {
            var bounds = Balanced(lengths, items, itemsPerRow, parts);
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
                p => work.Items(bounds[p], bounds[p + 1], itemsPerRow, headsPerItem));
        }
        GC.KeepAlive(q);
        GC.KeepAlive(keys);
        GC.KeepAlive(values);
        return output;
    }

    /// <summary>
    /// Item boundaries giving each part about the same number of positions to read, not the same number of rows: in a
    /// continuous batch one row may attend over 500 positions and the next over 20, and an even split by rows left one
    /// thread waiting on the other (a quarter of the engine thread's time in a 48-request mixed run).
    /// </summary>
    public static int[] Balanced(int[] lengths, int items, int itemsPerRow, int parts)
    {
        long total = 0;
        for (var item = 0; item < items; item++)
        {
            total += Math.Max(1, lengths[item / itemsPerRow]);
        }
        var bounds = new int[parts + 1];
        bounds[parts] = items;
        long before = 0;
        var next = 1;
        for (var item = 0; item < items && next < parts; item++)
        {
            var after = before + Math.Max(1, lengths[item / itemsPerRow]);
            // The boundary that crosses this item's work goes before or after it, whichever is nearer the part's share.
            while (next < parts && after * parts >= total * next)
            {
                var share = total * next;
                var cut = share - before * parts < after * parts - share ? item : item + 1;
                bounds[next] = Math.Max(bounds[next - 1], cut);
                next++;
            }
            before = after;
        }
        for (; next < parts; next++)
        {
            bounds[next] = items;
        }
        return bounds;
    }

    private static float* Pointer(Tensor tensor) => (float*)tensor.storage<float>().data_ptr() + tensor.storage_offset();

    private readonly struct Work(float* q, float* keys, float* values, float* output, long[] slots, int[] lengths, int span,
        int heads, int kvHeads, int headDim)
    {
        /// <summary>Items [start, end), item i being heads [h0, h0 + headsPerItem) of row i / itemsPerRow.</summary>
        public void Items(int start, int end, int itemsPerRow, int headsPerItem)
        {
            var longest = 0;
            for (var item = start; item < end; item++)
            {
                longest = Math.Max(longest, lengths[item / itemsPerRow]);
            }
            var rented = ArrayPool<float>.Shared.Rent(Math.Max(longest * headsPerItem, 1));
            try
            {
                for (var item = start; item < end; item++)
                {
                    var first = item % itemsPerRow * headsPerItem;
                    Heads(item / itemsPerRow, first, Math.Min(heads, first + headsPerItem), rented);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
        private void Heads(int row, int firstHead, int endHead, float[] scratch)
        {
            int group = heads / kvHeads, length = lengths[row], count = endHead - firstHead;
            var scale = 1f / MathF.Sqrt(headDim);
            var table = slots.AsSpan(row * span, length);
            var slotWidth = (long)kvHeads * headDim;
            var j = 0;
            if (headDim % 16 == 0 && Avx512F.IsSupported)
            {
                // Sixteen slots at a time: per head, 16 partial-sum vectors reduced together into the 16 scores.
                fixed (float* scores = scratch)
                {
                    for (; j + 16 <= length; j += 16)
                    {
                        for (var h = firstHead; h < endHead; h++)
                        {
                            SixteenScores(q + ((long)row * heads + h) * headDim, keys + h / group * headDim, table.Slice(j, 16), slotWidth,
                                headDim, scale, scores + (h - firstHead) * length + j);
                        }
                    }
                }
            }
            // The rest slot by slot, every head of the slot together: one contiguous read per slot.
            for (; j < length; j++)
            {
                var key = keys + table[j] * slotWidth;
                for (var h = firstHead; h < endHead; h++)
                {
                    scratch[(h - firstHead) * length + j] = Dot(q + ((long)row * heads + h) * headDim, key + h / group * headDim, headDim) * scale;
                }
            }
            for (var h = 0; h < count; h++)
            {
                var weights = scratch.AsSpan(h * length, length);
                var max = TensorPrimitives.Max(weights);
                TensorPrimitives.Subtract(weights, max, weights);
                TensorPrimitives.Exp(weights, weights);
                TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);
            }
            fixed (float* weights = scratch)
            {
                for (var h = firstHead; h < endHead; h++)
                {
                    WeightedSum(values + h / group * headDim, table, slotWidth, weights + (h - firstHead) * length,
                        output + ((long)row * heads + h) * headDim, headDim);
                }
            }
        }

        /// <summary>
        /// scale · q·k for the 16 slots of <paramref name="table"/>, keys read at <paramref name="keys"/> + slot · width: 16
        /// accumulators, then one transposed reduction where 16 dot products would each end in a horizontal sum (most of
        /// their cost at a 64-float head).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
        private static void SixteenScores(float* q, float* keys, ReadOnlySpan<long> table, long width, int headDim, float scale, float* scores)
        {
            float* k0 = keys + table[0] * width, k1 = keys + table[1] * width, k2 = keys + table[2] * width, k3 = keys + table[3] * width;
            float* k4 = keys + table[4] * width, k5 = keys + table[5] * width, k6 = keys + table[6] * width, k7 = keys + table[7] * width;
            float* k8 = keys + table[8] * width, k9 = keys + table[9] * width, k10 = keys + table[10] * width, k11 = keys + table[11] * width;
            float* k12 = keys + table[12] * width, k13 = keys + table[13] * width, k14 = keys + table[14] * width, k15 = keys + table[15] * width;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
            for (var i = 0; i < headDim; i += 16)
            {
                var x = Vector512.Load(q + i);
                s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k0 + i), s0);
                s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k1 + i), s1);
                s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k2 + i), s2);
                s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k3 + i), s3);
                s4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k4 + i), s4);
                s5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k5 + i), s5);
                s6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k6 + i), s6);
                s7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k7 + i), s7);
                s8 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k8 + i), s8);
                s9 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k9 + i), s9);
                s10 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k10 + i), s10);
                s11 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k11 + i), s11);
                s12 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k12 + i), s12);
                s13 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k13 + i), s13);
                s14 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k14 + i), s14);
                s15 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k15 + i), s15);
            }
            (TransposedSums.SumEach(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) * scale).Store(scores);
        }

        /// <summary>x·y over <paramref name="length"/> floats, inlined: a library call per 64-float head costs more than the arithmetic.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot(float* x, float* y, int length)
        {
            if (length % 16 != 0 || !Vector512.IsHardwareAccelerated)
            {
                return TensorPrimitives.Dot(new ReadOnlySpan<float>(x, length), new ReadOnlySpan<float>(y, length));
            }
            var sum = Vector512<float>.Zero;
            for (var i = 0; i < length; i += 16)
            {
                sum = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), sum);
            }
            return Vector512.Sum(sum);
        }

        /// <summary>output = Σ_j weights[j] · value(slot j), the head's values read at <paramref name="values"/> + slot · width, in registers 64 floats at a time.</summary>
        private static void WeightedSum(float* values, ReadOnlySpan<long> table, long width, float* weights, float* output, int headDim)
        {
            if (headDim % 64 != 0 || !Vector512.IsHardwareAccelerated)
            {
                var result = new Span<float>(output, headDim);
                result.Clear();
                for (var j = 0; j < table.Length; j++)
                {
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(values + table[j] * width, headDim), weights[j], result, result);
                }
                return;
            }
            for (var c = 0; c < headDim; c += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var j = 0; j < table.Length; j++)
                {
                    var v = values + table[j] * width + c;
                    var w = Vector512.Create(weights[j]);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(v), w, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 16), w, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 32), w, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 48), w, a3);
                }
                a0.Store(output + c);
                a1.Store(output + c + 16);
                a2.Store(output + c + 32);
                a3.Store(output + c + 48);
            }
        }
    }
}
