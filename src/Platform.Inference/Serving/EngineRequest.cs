using Platform.Inference.Generation;

namespace Platform.Inference.Serving;

/// <summary>One generation request for a <see cref="ServingEngine"/>.</summary>
public sealed record EngineRequest
{
    /// <summary>The prompt as token ids (at least one).</summary>
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>Sampling and stopping.</summary>
    public required SamplingParameters Parameters { get; init; }

    /// <summary>Scheduling class.</summary>
    public PriorityClass Priority { get; init; } = PriorityClass.Consumer;

    /// <summary>The tenant's prefix-cache salt (set by the gateway, never by the client).</summary>
    public string CacheSalt { get; init; } = "";

    /// <summary>LoRA adapter name, or null for the base model.</summary>
    public string? Adapter { get; init; }

    /// <summary>
    /// When set, the log-probability of every prompt token after the first under the model (what evaluation harnesses
    /// score with OpenAI's <c>echo</c> and <c>logprobs</c>) with this many alternatives each (0–20), delivered on the
    /// sequence's first output. Such a prompt is computed whole: cached prefix blocks hold keys and values, not logits.
    /// </summary>
    public int? PromptLogprobs { get; init; }

    /// <summary>Makes the sequence's <see cref="ITokenConstraint"/> (JSON mode), one per sequence; null for free text.</summary>
    public Func<ITokenConstraint>? Constraint { get; init; }
}
