namespace Platform.Inference.Generation;

/// <summary>
/// How to pick tokens for one request (OpenAI/vLLM semantics). Temperature 0 is greedy;
/// penalties and truncations are applied in the order documented in docs/engine.md.
/// </summary>
public sealed record SamplingParameters
{
    /// <summary>Most tokens to generate (finish reason "length" when reached).</summary>
    public int MaxTokens { get; init; } = 16;

    /// <summary>Softmax temperature; 0 means greedy (argmax).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling mass in (0, 1]; 1 disables.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; 0 (or -1) disables.</summary>
    public int TopK { get; init; }

    /// <summary>Drop tokens whose probability is below min_p × the top probability; 0 disables.</summary>
    public double MinP { get; init; }

    /// <summary>Hugging Face repetition penalty over prompt and output tokens; 1 disables.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Subtracted once from the logit of every token already generated.</summary>
    public double PresencePenalty { get; init; }

    /// <summary>Subtracted per occurrence from the logit of tokens already generated.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>Seed for the request's own random generator; the same seed gives the same output.</summary>
    public long? Seed { get; init; }

    /// <summary>Strings that end generation; the match and anything after it are not returned.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Extra token ids that end generation, besides the checkpoint's EOS ids.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>
    /// Added to the logit of each token id before anything else (OpenAI's logit_bias: -100 bans a token, 100
    /// all but forces it). Ids outside the vocabulary are refused by the caller, which knows the vocabulary.
    /// </summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();

    /// <summary>Keep going past EOS (benchmarks).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Return the log-probability of each chosen token.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Also return this many most likely alternatives per position (0–20).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Whether sampling is greedy.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>Throws <see cref="SamplingParameterException"/> naming the first bad field.</summary>
    public SamplingParameters Validate()
    {
        static void Check(bool ok, string field, string problem)
        {
            if (!ok)
            {
                throw new SamplingParameterException(field, problem);
            }
        }
        Check(MaxTokens >= 1, "max_tokens", $"must be at least 1, got {MaxTokens}");
        Check(double.IsFinite(Temperature) && Temperature >= 0, "temperature", $"must be a finite number >= 0, got {Temperature}");
        Check(TopP > 0 && TopP <= 1, "top_p", $"must be in (0, 1], got {TopP}");
        Check(TopK >= -1, "top_k", $"must be -1, 0 (disabled) or positive, got {TopK}");
        Check(MinP >= 0 && MinP <= 1, "min_p", $"must be in [0, 1], got {MinP}");
        Check(double.IsFinite(RepetitionPenalty) && RepetitionPenalty > 0, "repetition_penalty", $"must be > 0, got {RepetitionPenalty}");
        Check(PresencePenalty >= -2 && PresencePenalty <= 2, "presence_penalty", $"must be in [-2, 2], got {PresencePenalty}");
        Check(FrequencyPenalty >= -2 && FrequencyPenalty <= 2, "frequency_penalty", $"must be in [-2, 2], got {FrequencyPenalty}");
        Check(TopLogprobs >= 0 && TopLogprobs <= 20, "top_logprobs", $"must be in [0, 20], got {TopLogprobs}");
        Check(Stop.All(s => !string.IsNullOrEmpty(s)), "stop", "entries must be non-empty strings");
        Check(LogitBias.All(b => b.Key >= 0), "logit_bias", "keys must be token ids (integers >= 0)");
        Check(LogitBias.Values.All(b => b is >= -100 and <= 100), "logit_bias", "values must be in [-100, 100]");
        return this;
    }
}
