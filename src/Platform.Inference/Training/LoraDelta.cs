using Platform.Inference.Kernels;
using Platform.Inference.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>
/// A LoRA adapter as an <see cref="ILowRankDelta"/>: for each adapted projection key it holds
/// A [r, in] and B [out, r] and returns base + (alpha / r) · B(A(dropout(x))). The matrices are
/// trainable parameters; the base weights stay frozen. Dropout applies only while
/// <see cref="Training"/> is set and draws from the adapter's own seeded generator, so a run is
/// reproducible whatever else uses torch's global generator.
/// </summary>
public sealed class LoraDelta : ILowRankDelta, IDisposable
{
    private readonly Dictionary<string, (Parameter A, Parameter B)> _adapters;
    private readonly Generator _dropoutGenerator = new(0);

    private LoraDelta(LoraSettings settings, Dictionary<string, (Parameter A, Parameter B)> adapters, TrainableTokens? tokens)
    {
        Settings = settings;
        _adapters = adapters;
        Tokens = tokens;
    }

    /// <summary>The PEFT tensor key (under "base_model.model.") of the trainable token rows.</summary>
    public const string TokensKey = "model.embed_tokens.token_adapter.trainable_tokens_delta";

    /// <summary>The adapter's shape.</summary>
    public LoraSettings Settings { get; }

    /// <summary>Whether dropout is active (training) or not (evaluation, generation).</summary>
    public bool Training { get; set; }

    /// <summary>The adapter's own embedding rows (<see cref="LoraSettings.TrainableTokenIndices"/>), if any.</summary>
    public TrainableTokens? Tokens { get; }

    /// <summary>Adapted projection keys, in model order.</summary>
    public IEnumerable<string> Keys => _adapters.Keys;

    /// <summary>A [r, in] of <paramref name="key"/>.</summary>
    public Parameter A(string key) => _adapters[key].A;

    /// <summary>B [out, r] of <paramref name="key"/>.</summary>
    public Parameter B(string key) => _adapters[key].B;

    /// <summary>Every trainable tensor with a stable name ("&lt;key&gt;.lora_A", "&lt;key&gt;.lora_B").</summary>
    public IEnumerable<(string Name, Parameter Parameter)> Parameters =>
        _adapters.SelectMany(p => new[] { (p.Key + ".lora_A", p.Value.A), (p.Key + ".lora_B", p.Value.B) })
            .Concat(Tokens is null ? [] : [(TokensKey, Tokens.Rows)]);

    /// <summary>Number of trainable values.</summary>
    public long ParameterCount => Parameters.Sum(p => p.Parameter.NumberOfElements);

    /// <summary>
    /// A fresh adapter for every projection of <paramref name="model"/> named in the settings: A drawn
    /// like PEFT's default (Kaiming-uniform, bound 1/√in) from <paramref name="seed"/>, B zero, so the
    /// adapted model starts equal to the base.
    /// </summary>
    public static LoraDelta Create(LlamaForCausalLM model, LoraSettings settings, long seed)
    {
        settings.Validate();
        var generator = new Generator((ulong)seed);
        var adapters = new Dictionary<string, (Parameter, Parameter)>(StringComparer.Ordinal);
        foreach (var projection in TargetsOf(model, settings))
        {
            var bound = 1.0 / Math.Sqrt(projection.InFeatures);
            Tensor a, b;
            using (NewDisposeScope())
            {
                a = rand([settings.Rank, projection.InFeatures], ScalarType.Float32, generator: generator).Times(2 * bound).Plus(-bound)
                    .to(model.Device).MoveToOuterDisposeScope();
                b = zeros([projection.OutFeatures, settings.Rank], ScalarType.Float32, device: model.Device).MoveToOuterDisposeScope();
            }
            adapters[projection.Key] = (new Parameter(a, requires_grad: true), new Parameter(b, requires_grad: true));
        }
        var tokens = settings.TrainableTokenIndices.Count > 0 ? TrainableTokens.Create(model, settings.TrainableTokenIndices) : null;
        return new LoraDelta(settings, adapters, tokens);
    }

    /// <summary>An adapter from existing matrices (key → (A [r, in], B [out, r])), checked against <paramref name="model"/>.</summary>
    public static LoraDelta FromTensors(LlamaForCausalLM model, LoraSettings settings,
        IReadOnlyDictionary<string, (Tensor A, Tensor B)> tensors, Tensor? tokenRows = null)
    {
        settings.Validate();
        var adapters = new Dictionary<string, (Parameter, Parameter)>(StringComparer.Ordinal);
        foreach (var (key, (a, b)) in tensors)
        {
            if (!model.Projections.TryGetValue(key, out var projection))
            {
                throw new ArgumentException($"the model has no projection '{key}'", nameof(tensors));
            }
            long[] aShape = [settings.Rank, projection.InFeatures], bShape = [projection.OutFeatures, settings.Rank];
            if (!a.shape.SequenceEqual(aShape) || !b.shape.SequenceEqual(bShape))
            {
                throw new ArgumentException(
                    $"'{key}': lora_A must be [{string.Join(", ", aShape)}] and lora_B [{string.Join(", ", bShape)}]", nameof(tensors));
            }
            adapters[key] = (new Parameter(a.to(ScalarType.Float32).to(model.Device).detach().clone(), requires_grad: true),
                new Parameter(b.to(ScalarType.Float32).to(model.Device).detach().clone(), requires_grad: true));
        }
        if ((tokenRows is null) != (settings.TrainableTokenIndices.Count == 0))
        {
            throw new ArgumentException("trainable_token_indices and the trainable_tokens_delta tensor must come together", nameof(tokenRows));
        }
        var tokens = tokenRows is null ? null : TrainableTokens.FromTensor(model, settings.TrainableTokenIndices, tokenRows);
        return new LoraDelta(settings, adapters, tokens);
    }

    /// <summary>The projections of <paramref name="model"/> that <paramref name="settings"/> adapts.</summary>
    public static IEnumerable<Projection> TargetsOf(LlamaForCausalLM model, LoraSettings settings) =>
        model.Projections.Values.Where(p =>
            p.Key.StartsWith("model.layers.", StringComparison.Ordinal) &&
            settings.TargetModules.Contains(p.Key[(p.Key.LastIndexOf('.') + 1)..]));

    /// <summary>Reseeds dropout; the trainer calls it before every micro-batch so a resumed run draws the same masks.</summary>
    public void SeedDropout(long seed) => _dropoutGenerator.manual_seed(seed);

    /// <inheritdoc />
    public Tensor Apply(string module, Tensor input, Tensor output)
    {
        if (!_adapters.TryGetValue(module, out var adapter))
        {
            return output;
        }
        var x = input;
        var p = Settings.Dropout;
        if (Training && p > 0)
        {
            using var threshold = p.ToScalar();
            var keep = rand(input.shape, ScalarType.Float32, device: input.device, generator: _dropoutGenerator).ge(threshold);
            x = (input * keep).DividedBy(1 - p);
        }
        var update = nn.functional.linear(nn.functional.linear(x, adapter.A), adapter.B);
        return output.Plus(update.Times(Settings.Scaling));
    }

    /// <summary>Adds (alpha / r) · B·A into the base weights of <paramref name="model"/> (for merged serving and tests).</summary>
    public void MergeInto(LlamaForCausalLM model)
    {
        using var noGrad = no_grad();
        foreach (var (key, (a, b)) in _adapters)
        {
            using var product = b.matmul(a);
            using var update = product.Times(Settings.Scaling);
            model.Projections[key].Weight.PlusInPlace(update);
        }
        CpuGemv.ForgetPacked();
        Tokens?.MergeInto(model);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (a, b) in _adapters.Values)
        {
            a.Dispose();
            b.Dispose();
        }
        Tokens?.Dispose();
        _dropoutGenerator.Dispose();
    }
}
