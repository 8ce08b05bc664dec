using Platform.Inference.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// A Llama-family causal language model (Llama, Mistral, Qwen2): the decoder plus an output head,
/// tied to the embeddings when the config says so. Weights are F32.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly LlamaModel model;
    private readonly Projection? lm_head;
#pragma warning restore IDE1006
    private Dictionary<string, Projection>? _projections;
    private Dictionary<string, FusedProjections>? _fusedGroups;
    private ILowRankDelta? _lowRankDelta;
    private Lazy<CpuDecodeStep?>? _cpuDecode;

    /// <summary>Builds the model from <paramref name="weights"/> and moves it to <paramref name="device"/>.</summary>
    public LlamaForCausalLM(LlamaConfig config, IWeightSource weights, Device? device = null) : base("LlamaForCausalLM")
    {
        Config = config;
        Device = device ?? CPU;
        model = new LlamaModel(config, weights, Device);
        if (!config.TieWordEmbeddings)
        {
            lm_head = new Projection(weights, "lm_head", config.HiddenSize, config.VocabSize, hasBias: false);
        }
        RegisterComponents();
        if (Device.type != DeviceType.CPU)
        {
            this.to(Device);
        }
        model.FuseProjections();
    }

    /// <summary>The configuration the model was built from.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Where the weights live; inputs are moved here.</summary>
    public Device Device { get; }

    /// <summary>The input embedding table [vocab, hidden] ("model.embed_tokens.weight"; also the output matrix when tied).</summary>
    public Tensor Embeddings => model.Embeddings.Weight;

    /// <summary>Whether the output head is the embedding table (tie_word_embeddings).</summary>
    public bool HasTiedHead => lm_head is null;

    /// <summary>Every linear layer by checkpoint key (attention, MLP and an untied head).</summary>
    public IReadOnlyDictionary<string, Projection> Projections =>
        _projections ??= modules().OfType<Projection>().ToDictionary(p => p.Key, StringComparer.Ordinal);

    /// <summary>Projections stacked for inference (q/k/v and gate/up of every layer) by <see cref="FusedProjections.Key"/>.</summary>
    public IReadOnlyDictionary<string, FusedProjections> FusedGroups =>
        _fusedGroups ??= model.FusedGroups.ToDictionary(g => g.Key, StringComparer.Ordinal);

    /// <summary>
    /// Sets (or clears, with null) the low-rank addition every projection applies; serving sets it
    /// around one batched forward. Not thread-safe: one thread drives a model at a time.
    /// </summary>
    public void SetLowRankDelta(ILowRankDelta? delta)
    {
        _lowRankDelta = delta;
        foreach (var projection in Projections.Values)
        {
            projection.Delta = delta;
        }
    }

    /// <summary>
    /// Sets (or clears, with null) the replacement token rows the embeddings and a tied head apply
    /// (PEFT trainable tokens); like <see cref="SetLowRankDelta"/>, around one forward.
    /// </summary>
    public void SetTokenDelta(ITokenDelta? delta) => model.TokenDelta = delta;

    /// <summary>The replacement token rows in use, if any.</summary>
    public ITokenDelta? TokenDelta => model.TokenDelta;

    /// <summary>Whether single-token CPU steps have run through <see cref="CpuDecodeStep"/> (it is built at the first one).</summary>
    public bool UsesCpuDecodeStep => _cpuDecode is { IsValueCreated: true, Value: not null };

    /// <summary>A dense KV cache sized for this model.</summary>
    public DenseKvCache CreateCache(int capacity, int batchSize = 1) => new(Config, capacity, Device, batchSize);

    /// <summary>
    /// Logits (F32 [B, T', vocab]) for <paramref name="inputIds"/> (int64 [B, T]).
    /// <paramref name="positions"/> defaults to the positions after the cache's contents;
    /// <paramref name="logitsToKeep"/> &gt; 0 computes logits only for that many final positions.
    /// </summary>
    public Tensor forward(Tensor inputIds, Tensor? positions = null, IKvCache? cache = null,
        int logitsToKeep = 0, Tensor? attentionMask = null)
    {
        if (IsPlainCpuDecodeStep(inputIds, positions, cache, attentionMask, out var dense)
            && (_cpuDecode ??= new Lazy<CpuDecodeStep?>(() => CpuDecodeStep.TryCreate(this))).Value is { } step)
        {
            return step.Forward(inputIds.item<long>(), dense);
        }
        using var scope = NewDisposeScope();
        inputIds = inputIds.to(Device);
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        if (positions is null)
        {
            var past = cache?.SequenceLength ?? 0;
            positions = TorchScalars.Range(past, past + length, Device).expand(batch, length);
        }
        var hidden = model.forward(inputIds, positions.to(Device), cache, attentionMask);
        if (logitsToKeep > 0 && logitsToKeep < length)
        {
            hidden = hidden.narrow(1, length - logitsToKeep, logitsToKeep);
        }
        var logits = lm_head is null
            ? CpuGemv.Linear(hidden, model.Embeddings.Weight)
            : lm_head.forward(hidden);
        if (lm_head is null && model.TokenDelta is { } tokens)
        {
            logits = tokens.Logits(hidden, logits);
        }
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One new token of one sequence on the CPU with a dense cache and the base weights only: the case
    /// <see cref="CpuDecodeStep"/> runs without LibTorch operators (single-stream generation and engine-bench).
    /// </summary>
    private bool IsPlainCpuDecodeStep(Tensor inputIds, Tensor? positions, IKvCache? cache, Tensor? attentionMask, out DenseKvCache dense)
    {
        dense = (cache as DenseKvCache)!;
        return CpuDecodeStep.Enabled && CpuGemv.Enabled && Device.type == DeviceType.CPU
            && positions is null && attentionMask is null && dense is { BatchSize: 1 }
            && inputIds.device_type == DeviceType.CPU && inputIds.dtype == ScalarType.Int64 && inputIds.shape is [1, 1]
            && _lowRankDelta is null && model.TokenDelta is null;
    }
}
