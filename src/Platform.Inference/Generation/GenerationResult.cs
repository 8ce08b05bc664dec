namespace Platform.Inference.Generation;

/// <summary>A finished generation.</summary>
public sealed record GenerationResult
{
    /// <summary>Completion text (stop string and anything after it removed).</summary>
    public required string Text { get; init; }

    /// <summary>Completion token ids (an EOS/stop token that ended generation is not included).</summary>
    public required IReadOnlyList<int> TokenIds { get; init; }

    /// <summary>The prompt as token ids.</summary>
    public required IReadOnlyList<int> PromptTokenIds { get; init; }

    /// <summary>Why it ended.</summary>
    public required FinishReason FinishReason { get; init; }

    /// <summary>Per-token logprobs when requested, else empty.</summary>
    public IReadOnlyList<GeneratedToken> Tokens { get; init; } = [];

    /// <summary>Completion tokens per second of wall time, prefill included.</summary>
    public double TokensPerSecond { get; init; }
}
