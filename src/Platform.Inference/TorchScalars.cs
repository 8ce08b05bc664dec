using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference;

/// <summary>
/// Tensor arithmetic that never hands LibTorch a <see cref="Scalar"/> the garbage collector can free
/// during the call. TorchSharp 0.107 turns every C# number given to a tensor operation (and the
/// implicit <c>alpha = 1</c> of <c>Tensor + Tensor</c>, <c>Tensor.add(Tensor)</c> and
/// <c>torch.arange(long)</c>'s bounds) into a finalizable Scalar that nothing references while the
/// native call runs, so the finalizer thread may delete the native <c>c10::Scalar</c> while LibTorch
/// still reads it: a use-after-free that surfaced as rare heap corruption in busy test hosts
/// (docs/serving.md, "Native crash"). The Scalars used here are static (never finalized) or disposed
/// by the caller after the call returns, which keeps them alive until then; tensor operands are kept
/// alive the same way (tensors outside a dispose scope have the same hazard). Code in this assembly
/// uses these helpers instead of numbers or the <c>+</c> operator on tensors.
/// </summary>
public static class TorchScalars
{
    private static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="left"/> + <paramref name="right"/> (elementwise, broadcasting).</summary>
    public static Tensor Plus(this Tensor left, Tensor right)
    {
        var sum = left.add(right, One);
        GC.KeepAlive(left);
        GC.KeepAlive(right);
        return sum;
    }

    /// <summary><paramref name="left"/> + <paramref name="first"/> · <paramref name="second"/> (one fused operation).</summary>
    public static Tensor PlusProduct(this Tensor left, Tensor first, Tensor second)
    {
        var sum = left.addcmul(first, second, One);
        GC.KeepAlive(left);
        GC.KeepAlive(first);
        GC.KeepAlive(second);
        return sum;
    }

    /// <summary><paramref name="left"/> + <paramref name="value"/>.</summary>
    public static Tensor Plus(this Tensor left, double value)
    {
        using var scalar = value.ToScalar();
        var sum = left.add(scalar, One);
        GC.KeepAlive(left);
        return sum;
    }

    /// <summary><paramref name="left"/> · <paramref name="value"/>.</summary>
    public static Tensor Times(this Tensor left, double value)
    {
        using var scalar = value.ToScalar();
        var product = left.mul(scalar);
        GC.KeepAlive(left);
        return product;
    }

    /// <summary><paramref name="left"/> / <paramref name="value"/>.</summary>
    public static Tensor DividedBy(this Tensor left, double value)
    {
        using var scalar = value.ToScalar();
        var quotient = left.div(scalar);
        GC.KeepAlive(left);
        return quotient;
    }

    /// <summary>Divides <paramref name="tensor"/> by <paramref name="value"/> in place and returns it.</summary>
    public static Tensor DivideInPlace(this Tensor tensor, double value)
    {
        using var scalar = value.ToScalar();
        return tensor.div_(scalar);
    }

    /// <summary>Adds <paramref name="other"/> · <paramref name="alpha"/> to <paramref name="tensor"/> in place and returns it.</summary>
    public static Tensor PlusInPlace(this Tensor tensor, Tensor other, double alpha = 1)
    {
        using var scalar = alpha.ToScalar();
        var sum = tensor.add_(other, scalar);
        GC.KeepAlive(other);
        return sum;
    }

    /// <summary>Multiplies <paramref name="tensor"/> by <paramref name="value"/> in place and returns it.</summary>
    public static Tensor TimesInPlace(this Tensor tensor, double value)
    {
        using var scalar = value.ToScalar();
        return tensor.mul_(scalar);
    }

    /// <summary>Adds <paramref name="value"/> to <paramref name="tensor"/> in place and returns it.</summary>
    public static Tensor PlusInPlace(this Tensor tensor, double value)
    {
        using var scalar = value.ToScalar();
        return tensor.add_(scalar, One);
    }

    /// <summary>
    /// <paramref name="host"/> moved to <paramref name="device"/> (the same tensor on the CPU); the
    /// host tensor is kept alive until the copy has been issued.
    /// </summary>
    public static Tensor OnDevice(Tensor host, Device device)
    {
        if (device.type == DeviceType.CPU)
        {
            return host;
        }
        var moved = host.to(device);
        GC.KeepAlive(host);
        return moved;
    }

    /// <summary>The Int64 values <paramref name="start"/> .. <paramref name="stop"/> − 1 on <paramref name="device"/> (arange without Scalars).</summary>
    public static Tensor Range(long start, long stop, Device device)
    {
        var values = new long[Math.Max(stop - start, 0)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = start + i;
        }
        return OnDevice(tensor(values, ScalarType.Int64), device);
    }
}
