using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Platform.Inference.Kernels;

/// <summary>
/// A weight W [rows, cols] (F32, on the CPU) copied into panels of <see cref="Panel"/> rows, each panel stored column by
/// column: element (p·Panel + r, i) sits at (p·cols + i)·Panel + r, rows past the end zero. A product then
/// runs as outer products, as BLIS and oneDNN's packed GEMMs do: for each column i, three vector loads of the panel
/// times a broadcast x[b, i] of each of up to eight input rows, into 24 accumulators that stay in registers, with no
/// horizontal sum at the end. On dev-2c that ran 1.4–2× the row-by-row dot products of <see cref="CpuGemv"/>'s other
/// path at 8–64 input rows (up to 490 of about 530 GFLOP/s on two cores; docs/performance.md).
/// <para>
/// Each output is one accumulator lane that adds w[r, i]·x[b, i] for i = 0, 1, … in order with a fused multiply-add,
/// whatever the batch size or the variant that computes it, so a row's result does not depend on the other rows in
/// its batch (batch invariance). The copy costs the weight's size again in memory; it is made on first use
/// (<see cref="CpuGemv.Linear"/>), and a weight changed in place must be forgotten (<see cref="CpuGemv.ForgetPacked"/>).
/// </para>
/// </summary>
public sealed unsafe class PackedMatrix
{
    /// <summary>Rows per panel: three 16-float vectors.</summary>
    public const int Panel = 48;

    /// <summary>The calling thread's interleaved inputs, pinned and reused (a decode batch's are up to 64 × cols floats).</summary>
    [ThreadStatic]
    private static float[]? t_interleaved;

    private readonly float* _data;
    private readonly long _bytes;

    private PackedMatrix(Tensor weight)
    {
        Rows = (int)weight.shape[0];
        Cols = (int)weight.shape[1];
        Source = (IntPtr)CpuGemv.Pointer(weight);
        Panels = (Rows + Panel - 1) / Panel;
        _bytes = (long)Panels * Panel * Cols * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc((nuint)_bytes, 64);
        GC.AddMemoryPressure(_bytes);
        var w = CpuGemv.Pointer(weight);
        int rows = Rows, cols = Cols;
        var data = _data;
        Parallel.For(0, Panels, p =>
        {
            var panel = data + (long)p * cols * Panel;
            for (var r = 0; r < Panel; r++)
            {
                var row = p * Panel + r;
                var source = w + (long)row * cols;
                if (row < rows)
                {
                    for (var i = 0; i < cols; i++)
                    {
                        panel[(long)i * Panel + r] = source[i];
                    }
                }
                else
                {
                    for (var i = 0; i < cols; i++)
                    {
                        panel[(long)i * Panel + r] = 0f;
                    }
                }
            }
        });
        GC.KeepAlive(weight);
    }

    /// <summary>Frees the copy.</summary>
    ~PackedMatrix()
    {
        NativeMemory.AlignedFree(_data);
        GC.RemoveMemoryPressure(_bytes);
    }

    /// <summary>Rows of W (outputs).</summary>
    public int Rows { get; }

    /// <summary>Columns of W (inputs).</summary>
    public int Cols { get; }

    /// <summary>Panels of <see cref="Panel"/> rows.</summary>
    public int Panels { get; }

    /// <summary>Where the weight's values were when copied (a weight whose storage moved is packed again).</summary>
    internal IntPtr Source { get; }

    /// <summary>Copies <paramref name="weight"/> (contiguous F32 [rows, cols] on the CPU).</summary>
    public static PackedMatrix Pack(Tensor weight) => new(weight);

    /// <summary>
    /// y[b·Rows + r] = Σ_i W[r, i]·x[b·Cols + i] for b &lt; <paramref name="batch"/>, the panels split into
    /// <paramref name="parts"/> ranges run in parallel.
    /// </summary>
    public void Multiply(float* x, float* y, int batch, int parts)
    {
        parts = Math.Clamp(parts, 1, Math.Max(1, Panels / 2));
        var groups = Groups.Of(batch);
        // Inputs in groups of 8, 4, 2 and 1 rows, each group interleaved column by column so one column's values
        // are adjacent for the broadcasts.
        var length = batch * Cols;
        if (batch > 1 && (t_interleaved is null || t_interleaved.Length < length))
        {
            t_interleaved = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }
        fixed (float* xt = t_interleaved)
        {
            var inputs = batch == 1 ? x : xt;
            if (batch > 1)
            {
                Interleave(x, xt, groups, Cols);
            }
            var self = this;
            if (parts == 1)
            {
                Range(inputs, y, groups, 0, Panels);
            }
            else
            {
                var per = (Panels + parts - 1) / parts;
                var xp = (IntPtr)inputs;
                var yp = (IntPtr)y;
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                    self.Range((float*)xp, (float*)yp, groups, p * per, Math.Min(Panels, (p + 1) * per)));
            }
        }
        GC.KeepAlive(this);
    }

    /// <summary>A batch split into groups of 8, then at most one each of 4, 2 and 1 rows.</summary>
    private readonly struct Groups(int batch)
    {
        public int Batch { get; } = batch;
        public int Eights { get; } = batch / 8;
        public bool Four { get; } = (batch & 4) != 0;
        public bool Two { get; } = (batch & 2) != 0;
        public bool One { get; } = (batch & 1) != 0;

        public static Groups Of(int batch) => new(batch);
    }

    private static void Interleave(float* x, float* xt, Groups groups, int cols)
    {
        var row = 0;
        for (var g = 0; g < groups.Eights; g++, row += 8)
        {
            Interleave(x, xt, row, 8, cols);
        }
        for (var size = 4; size >= 1; size /= 2)
        {
            if ((groups.Batch & size) != 0)
            {
                Interleave(x, xt, row, size, cols);
                row += size;
            }
        }
    }

    private static void Interleave(float* x, float* xt, int row, int size, int cols)
    {
        var target = xt + (long)row * cols;
        for (var b = 0; b < size; b++)
        {
            var source = x + (long)(row + b) * cols;
            for (var i = 0; i < cols; i++)
            {
                target[(long)i * size + b] = source[i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private void Range(float* x, float* y, Groups groups, int first, int end)
    {
        int rows = Rows, cols = Cols;
        var out8 = stackalloc float[8 * Panel];
        if (groups.Batch == 1)
        {
            // One input: two panels at a time, so six accumulator chains hide the multiply-add latency.
            var p = first;
            for (; p + 2 <= end; p += 2)
            {
                TwoPanels(Data(p), Data(p + 1), x, cols, out8);
                Store(out8, 2 * Panel, 1, y, rows, p * Panel);
            }
            if (p < end)
            {
                Tile<N1>(Data(p), x, cols, out8, (0, 0), 0);
                Store(out8, Panel, 1, y, rows, p * Panel);
            }
            return;
        }
        var passes = groups.Eights + (groups.Four ? 1 : 0) + (groups.Two ? 1 : 0) + (groups.One ? 1 : 0);
        // The passes over a panel read it from L2 after the first; meanwhile they prefetch the next panel, each pass its
        // share, or memory idles while they compute and the next panel's first pass waits on it (the weights of a model
        // do not fit in the last-level cache).
        var panelLines = (long)cols * Panel / LineFloats;
        var share = (panelLines + passes - 1) / passes;
        var perIteration = (int)Math.Min(3, (share + cols - 1) / cols);
        for (var p = first; p < end; p++)
        {
            var panel = Data(p);
            var next = p + 1 < end ? Data(p + 1) : null;
            var pass = 0;
            var row = 0;
            for (var g = 0; g < groups.Eights; g++, row += 8)
            {
                Tile<N8>(panel, x + (long)row * cols, cols, out8, Share(next, pass++, share, panelLines), perIteration);
                Store(out8, Panel, 8, y + (long)row * rows, rows, p * Panel);
            }
            if (groups.Four)
            {
                Tile<N4>(panel, x + (long)row * cols, cols, out8, Share(next, pass++, share, panelLines), perIteration);
                Store(out8, Panel, 4, y + (long)row * rows, rows, p * Panel);
                row += 4;
            }
            if (groups.Two)
            {
                Tile<N2>(panel, x + (long)row * cols, cols, out8, Share(next, pass++, share, panelLines), perIteration);
                Store(out8, Panel, 2, y + (long)row * rows, rows, p * Panel);
                row += 2;
            }
            if (groups.One)
            {
                Tile<N1>(panel, x + (long)row * cols, cols, out8, Share(next, pass, share, panelLines), perIteration);
                Store(out8, Panel, 1, y + (long)row * rows, rows, p * Panel);
            }
        }
    }

    private const int LineFloats = 16;

    /// <summary>Lines [pass·share, (pass + 1)·share) of the next panel, or none.</summary>
    private static (IntPtr From, IntPtr To) Share(float* next, int pass, long share, long lines)
    {
        if (next is null)
        {
            return (0, 0);
        }
        long from = Math.Min(lines, pass * share), to = Math.Min(lines, from + share);
        return ((IntPtr)(next + from * LineFloats), (IntPtr)(next + to * LineFloats));
    }

    private float* Data(int panel) => _data + (long)panel * Cols * Panel;

    /// <summary>Copies a tile's <paramref name="inputs"/> rows of <paramref name="width"/> outputs to y, dropping the padding rows past <paramref name="rows"/>.</summary>
    private static void Store(float* tile, int width, int inputs, float* y, int rows, int firstRow)
    {
        var count = Math.Min(width, rows - firstRow);
        for (var b = 0; b < inputs; b++)
        {
            new ReadOnlySpan<float>(tile + b * width, count).CopyTo(new Span<float>(y + (long)b * rows + firstRow, count));
        }
    }

    private interface IInputs
    {
        static abstract int Count { get; }
    }

    private readonly struct N1 : IInputs
    {
        public static int Count => 1;
    }

    private readonly struct N2 : IInputs
    {
        public static int Count => 2;
    }

    private readonly struct N4 : IInputs
    {
        public static int Count => 4;
    }

    private readonly struct N8 : IInputs
    {
        public static int Count => 8;
    }

    /// <summary>
    /// One panel against <typeparamref name="T"/>.Count interleaved inputs: out[b·Panel + r]. Specialised per count
    /// (the JIT drops the branches of the counts above it), so every variant keeps its accumulators in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private static void Tile<T>(float* w, float* x, int cols, float* output, (IntPtr From, IntPtr To) prefetch, int perIteration)
        where T : struct, IInputs
    {
        var n = T.Count;
        float* fetch = (float*)prefetch.From, fetchEnd = (float*)prefetch.To;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
        for (var i = 0; i < cols; i++, w += Panel, x += n)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var w2 = Vector512.Load(w + 32);
            for (var f = 0; f < perIteration && fetch < fetchEnd; f++, fetch += LineFloats)
            {
                Sse.Prefetch1(fetch);
            }
            var v = Vector512.Create(x[0]);
            a00 = Vector512.FusedMultiplyAdd(w0, v, a00);
            a10 = Vector512.FusedMultiplyAdd(w1, v, a10);
            a20 = Vector512.FusedMultiplyAdd(w2, v, a20);
            if (n > 1)
            {
                v = Vector512.Create(x[1]);
                a01 = Vector512.FusedMultiplyAdd(w0, v, a01);
                a11 = Vector512.FusedMultiplyAdd(w1, v, a11);
                a21 = Vector512.FusedMultiplyAdd(w2, v, a21);
            }
            if (n > 2)
            {
                v = Vector512.Create(x[2]);
                a02 = Vector512.FusedMultiplyAdd(w0, v, a02);
                a12 = Vector512.FusedMultiplyAdd(w1, v, a12);
                a22 = Vector512.FusedMultiplyAdd(w2, v, a22);
                v = Vector512.Create(x[3]);
                a03 = Vector512.FusedMultiplyAdd(w0, v, a03);
                a13 = Vector512.FusedMultiplyAdd(w1, v, a13);
                a23 = Vector512.FusedMultiplyAdd(w2, v, a23);
            }
            if (n > 4)
            {
                v = Vector512.Create(x[4]);
                a04 = Vector512.FusedMultiplyAdd(w0, v, a04);
                a14 = Vector512.FusedMultiplyAdd(w1, v, a14);
                a24 = Vector512.FusedMultiplyAdd(w2, v, a24);
                v = Vector512.Create(x[5]);
                a05 = Vector512.FusedMultiplyAdd(w0, v, a05);
                a15 = Vector512.FusedMultiplyAdd(w1, v, a15);
                a25 = Vector512.FusedMultiplyAdd(w2, v, a25);
                v = Vector512.Create(x[6]);
                a06 = Vector512.FusedMultiplyAdd(w0, v, a06);
                a16 = Vector512.FusedMultiplyAdd(w1, v, a16);
                a26 = Vector512.FusedMultiplyAdd(w2, v, a26);
                v = Vector512.Create(x[7]);
                a07 = Vector512.FusedMultiplyAdd(w0, v, a07);
                a17 = Vector512.FusedMultiplyAdd(w1, v, a17);
                a27 = Vector512.FusedMultiplyAdd(w2, v, a27);
            }
        }
        StoreRow(output, a00, a10, a20);
        if (n > 1)
        {
            StoreRow(output + Panel, a01, a11, a21);
        }
        if (n > 2)
        {
            StoreRow(output + 2 * Panel, a02, a12, a22);
            StoreRow(output + 3 * Panel, a03, a13, a23);
        }
        if (n > 4)
        {
            StoreRow(output + 4 * Panel, a04, a14, a24);
            StoreRow(output + 5 * Panel, a05, a15, a25);
            StoreRow(output + 6 * Panel, a06, a16, a26);
            StoreRow(output + 7 * Panel, a07, a17, a27);
        }
    }

    /// <summary>Two panels against one input: out[0 .. 2·Panel), the same sums as <see cref="Tile{T}"/> with one input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private static void TwoPanels(float* w, float* u, float* x, int cols, float* output)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
        for (var i = 0; i < cols; i++, w += Panel, u += Panel)
        {
            var v = Vector512.Create(x[i]);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 16), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 32), v, a2);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Load(u), v, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Load(u + 16), v, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Load(u + 32), v, b2);
        }
        StoreRow(output, a0, a1, a2);
        StoreRow(output + Panel, b0, b1, b2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* output, Vector512<float> first, Vector512<float> second, Vector512<float> third)
    {
        first.Store(output);
        second.Store(output + 16);
        third.Store(output + 32);
    }
}
