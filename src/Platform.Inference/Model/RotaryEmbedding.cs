using Platform.Inference.Kernels;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// Rotary position embedding tables (Hugging Face "rotate_half" layout), with rope_theta and
/// llama3/linear rope_scaling. Frequencies are computed in double, tables stored in F32; the tables
/// grow on demand when a position beyond them is requested. The sin table carries rotate_half's sign
/// (−sin on the first half), so applying it is three operations: x·cos + swap_halves(x)·signed_sin.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly double[] _inverseFrequencies;
    private readonly Device _device;
    private Tensor _cos;
    private Tensor _sin;

    /// <summary>Builds tables for <paramref name="config"/> on <paramref name="device"/>.</summary>
    public RotaryEmbedding(LlamaConfig config, Device device)
    {
        _inverseFrequencies = InverseFrequencies(config);
        _device = device;
        (_cos, _sin) = BuildTables(Math.Max(config.MaxPositionEmbeddings, 1));
    }

    /// <summary>Per-pair inverse frequencies after rope scaling (length head_dim / 2).</summary>
    public static double[] InverseFrequencies(LlamaConfig config)
    {
        var dim = config.HeadDim;
        var result = new double[dim / 2];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / dim);
        }
        if (config.RopeScaling is { } scaling)
        {
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = Scale(result[i], scaling);
            }
        }
        return result;
    }

    private static double Scale(double frequency, RopeScaling scaling)
    {
        if (scaling.Type == "linear")
        {
            return frequency / scaling.Factor;
        }
        // llama3: keep high frequencies, divide low ones by factor, interpolate in between.
        var lowWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        var highWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        var wavelength = 2 * Math.PI / frequency;
        if (wavelength < highWavelength)
        {
            return frequency;
        }
        if (wavelength > lowWavelength)
        {
            return frequency / scaling.Factor;
        }
        var smooth = (scaling.OriginalMaxPositionEmbeddings / wavelength - scaling.LowFreqFactor)
            / (scaling.HighFreqFactor - scaling.LowFreqFactor);
        return (1 - smooth) * frequency / scaling.Factor + smooth * frequency;
    }

    /// <summary>Cos and signed sin for <paramref name="positions"/> (int64, any shape): shape positions.shape + [head_dim].</summary>
    public (Tensor Cos, Tensor Sin) Lookup(Tensor positions)
    {
        var needed = positions.numel() == 0 ? 0 : positions.max().item<long>() + 1;
        if (needed > _cos.shape[0])
        {
            var (cos, sin) = BuildTables(Math.Max(needed, _cos.shape[0] * 2));
            _cos.Dispose();
            _sin.Dispose();
            (_cos, _sin) = (cos, sin);
        }
        var flat = positions.reshape(-1);
        long[] shape = [.. positions.shape, _cos.shape[1]];
        return (_cos.index_select(0, flat).view(shape), _sin.index_select(0, flat).view(shape));
    }

    private (Tensor Cos, Tensor Sin) BuildTables(long length)
    {
        var half = _inverseFrequencies.Length;
        var cos = new float[length * half * 2];
        var sin = new float[length * half * 2];
        for (long p = 0; p < length; p++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = p * _inverseFrequencies[i];
                float c = (float)Math.Cos(angle), s = (float)Math.Sin(angle);
                cos[p * half * 2 + i] = cos[p * half * 2 + half + i] = c;
                sin[p * half * 2 + i] = -s;
                sin[p * half * 2 + half + i] = s;
            }
        }
        // Tables outlive any forward pass, so they must not belong to the caller's dispose scope.
        return (Table(cos, length, half * 2), Table(sin, length, half * 2));
    }

    private Tensor Table(float[] values, long length, long width)
    {
        var host = tensor(values, [length, width]);
        var table = host.to(_device).DetachFromDisposeScope();
        // The host tensor must stay reachable until the copy (or alias) exists; see TorchScalars.
        GC.KeepAlive(host);
        return table;
    }

    /// <summary>
    /// Applies the rotation to <paramref name="x"/> [B, T, heads, head_dim] given cos and signed sin [B, T, 1, head_dim]
    /// from <see cref="Lookup"/>: x·cos + rotate_half(x)·sin, with rotate_half's negation in the table.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor signedSin)
    {
        if (CpuElementwise.RotaryApplies(x, cos, signedSin))
        {
            return CpuElementwise.Rotate(x, cos, signedSin);
        }
        var half = x.shape[^1] / 2;
        var swapped = cat([x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos).PlusProduct(swapped, signedSin);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
