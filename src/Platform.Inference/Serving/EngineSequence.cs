using System.Diagnostics;
using System.Threading.Channels;
using Platform.Inference.Generation;
using Platform.Inference.Lora;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Serving;

/// <summary>A sequence plus what the engine needs to sample, detokenize and stream it.</summary>
internal sealed class EngineSequence : SequenceState
{
    public EngineSequence(long id, EngineRequest request, UInt128 root, ITextTokenizer tokenizer, IReadOnlySet<int> eos,
        int vocab, LoraAdapter? adapter)
        : base(id, request.PromptTokens, request.Priority, root, request.Parameters.MaxTokens)
    {
        Parameters = request.Parameters;
        Adapter = adapter;
        Selector = new TokenSelector(request.Parameters, request.PromptTokens);
        Detokenizer = new IncrementalDetokenizer(tokenizer, request.PromptTokens);
        Stops = new StopStringMatcher(request.Parameters.Stop);
        StopIds = request.Parameters.IgnoreEos ? [.. request.Parameters.StopTokenIds] : [.. eos, .. request.Parameters.StopTokenIds];
        Logits = new float[vocab];
        RawLogits = request.Parameters.Logprobs || request.Parameters.TopLogprobs > 0 ? new float[vocab] : null;
        Constraint = request.Constraint?.Invoke();
        PromptLogprobsTop = request.PromptLogprobs;
        PromptLogprobs = request.PromptLogprobs is null ? null : new List<PromptTokenLogprob>(request.PromptTokens.Count - 1);
    }

    /// <summary>Alternatives per prompt token when prompt logprobs are requested, else null.</summary>
    public int? PromptLogprobsTop { get; }

    /// <summary>The prompt logprobs found so far (token 1 onwards), when requested.</summary>
    public List<PromptTokenLogprob>? PromptLogprobs { get; }

    /// <summary>Whether prompt logprobs are requested and not all found yet.</summary>
    public bool PromptLogprobsPending => PromptLogprobs is { } found && found.Count < PromptLength - 1;

    /// <summary>Whether the prompt logprobs went out with an output already.</summary>
    public bool PromptLogprobsSent { get; set; }

    /// <inheritdoc />
    public override bool ReusesCachedPrefix => !PromptLogprobsPending;

    /// <summary>What the sequence may choose at each step, or null.</summary>
    public ITokenConstraint? Constraint { get; }

    public SamplingParameters Parameters { get; }

    public LoraAdapter? Adapter { get; }

    public TokenSelector Selector { get; }

    public IncrementalDetokenizer Detokenizer { get; }

    public StopStringMatcher Stops { get; }

    public HashSet<int> StopIds { get; }

    public float[] Logits { get; }

    /// <summary>A copy of the logits before penalties and temperature, when logprobs are requested.</summary>
    public float[]? RawLogits { get; }

    public Channel<SequenceOutput> Output { get; } = Channel.CreateUnbounded<SequenceOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public long ArrivalTimestamp { get; } = Stopwatch.GetTimestamp();

    public long LastTokenTimestamp { get; set; }

    public int Generated { get; set; }

    public bool Done { get; set; }
}
