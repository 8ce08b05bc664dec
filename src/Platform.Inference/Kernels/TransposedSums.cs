using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Platform.Inference.Kernels;

/// <summary>Sums of many vectors at once (AVX-512), for kernels that end in many short dot products.</summary>
internal static class TransposedSums
{
    /// <summary>
    /// The sums of 16 vectors as one vector, element k the sum of the k-th: a transposed reduction (unpacks, then
    /// 128-bit lane shuffles), about 45 instructions where 16 horizontal sums take over 100. With 768-wide rows a 4×4
    /// block runs only 48 iterations, so the reduction is a noticeable share of it; decode attention reduces 16 slots' scores the same way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SumEach(
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7,
        Vector512<float> v8, Vector512<float> v9, Vector512<float> v10, Vector512<float> v11,
        Vector512<float> v12, Vector512<float> v13, Vector512<float> v14, Vector512<float> v15)
    {
        // Per 128-bit lane: pairs, then quads, so lane L of u_k holds lane L's partial sums of v_4k .. v_4k+3.
        var u0 = Pair64(Pair32(v0, v1), Pair32(v2, v3));
        var u1 = Pair64(Pair32(v4, v5), Pair32(v6, v7));
        var u2 = Pair64(Pair32(v8, v9), Pair32(v10, v11));
        var u3 = Pair64(Pair32(v12, v13), Pair32(v14, v15));
        // Then across lanes: lane k of the result is u_k's four lanes added.
        return PairLanes(PairLanes(u0, u1), PairLanes(u2, u3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair32(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a, b) + Avx512F.UnpackHigh(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle() + Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>[a.L0 + a.L1, a.L2 + a.L3, b.L0 + b.L1, b.L2 + b.L3] over 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairLanes(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0b10_00_10_00) + Avx512F.Shuffle4x128(a, b, 0b11_01_11_01);
}
