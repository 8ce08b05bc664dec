using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter; torch.optim.AdamW's update) over named parameters, with its
/// moment estimates exposed by name so a checkpoint can save and restore them exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<(string Name, Parameter Parameter, Tensor M, Tensor V)> _state = [];

    /// <summary>Creates the optimizer with zero moments for <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.0)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        foreach (var (name, p) in parameters)
        {
            _state.Add((name, p, zeros_like(p).detach(), zeros_like(p).detach()));
        }
    }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Updates taken so far (for bias correction).</summary>
    public long StepCount { get; set; }

    /// <summary>The parameters, in order.</summary>
    public IEnumerable<Parameter> Parameters => _state.Select(s => s.Parameter);

    /// <summary>Moment tensors by name ("m.&lt;name&gt;", "v.&lt;name&gt;"), for checkpoints.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors =>
        _state.SelectMany(s => new[] { KeyValuePair.Create("m." + s.Name, s.M), KeyValuePair.Create("v." + s.Name, s.V) });

    /// <summary>Bytes of optimizer state (two moments per parameter).</summary>
    public long StateBytes => _state.Sum(s => 2 * s.M.NumberOfElements * s.M.ElementSize);

    /// <summary>Clears every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p, _, _) in _state)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>One update at learning rate <paramref name="learningRate"/>; parameters without a gradient are skipped.</summary>
    public void Step(double learningRate)
    {
        StepCount++;
        var correction1 = 1 - Math.Pow(Beta1, StepCount);
        var correction2 = 1 - Math.Pow(Beta2, StepCount);
        using var noGrad = no_grad();
        foreach (var (_, p, m, v) in _state)
        {
            if (p.grad is not { } g)
            {
                continue;
            }
            using var scope = NewDisposeScope();
            if (WeightDecay > 0)
            {
                p.TimesInPlace(1 - learningRate * WeightDecay);
            }
            // Every number goes through an explicitly disposed Scalar (see TorchScalars).
            m.TimesInPlace(Beta1).PlusInPlace(g, 1 - Beta1);
            using (var weight = (1 - Beta2).ToScalar())
            {
                v.TimesInPlace(Beta2).addcmul_(g, g, weight);
            }
            var denominator = v.sqrt().DivideInPlace(Math.Sqrt(correction2)).PlusInPlace(Epsilon);
            using (var stepSize = (-learningRate / correction1).ToScalar())
            {
                p.addcdiv_(m, denominator, stepSize);
            }
        }
    }

    /// <summary>Restores moments saved under <see cref="StateTensors"/> names.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> tensors, long stepCount)
    {
        using var noGrad = no_grad();
        foreach (var (name, _, m, v) in _state)
        {
            m.copy_(tensors["m." + name]);
            v.copy_(tensors["v." + name]);
        }
        StepCount = stepCount;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, _, m, v) in _state)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
