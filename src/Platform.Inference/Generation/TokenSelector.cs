namespace Platform.Inference.Generation;

/// <summary>
/// Per-request token choice: logit bias, penalties, temperature, top-k, top-p, min-p, then argmax or a draw
/// from the request's own seeded generator. Also reports logprobs of the raw distribution.
/// </summary>
public sealed class TokenSelector
{
    private readonly SamplingParameters _parameters;
    private readonly Random _random;
    private readonly HashSet<int> _seen;
    private readonly Dictionary<int, int> _outputCounts = [];

    /// <summary>Starts a request whose prompt is <paramref name="promptIds"/>.</summary>
    public TokenSelector(SamplingParameters parameters, IEnumerable<int> promptIds)
    {
        _parameters = parameters.Validate();
        _random = new Random(parameters.Seed is { } seed ? unchecked((int)(seed ^ (seed >> 32))) : Random.Shared.Next());
        _seen = [.. promptIds];
    }

    /// <summary>Chooses the next token from <paramref name="logits"/>, which it overwrites.</summary>
    public int Select(Span<float> logits)
    {
        var p = _parameters;
        LogitsProcessing.ApplyLogitBias(logits, p.LogitBias);
        LogitsProcessing.ApplyRepetitionPenalty(logits, _seen, (float)p.RepetitionPenalty);
        LogitsProcessing.ApplyPresenceAndFrequencyPenalties(logits, _outputCounts, (float)p.PresencePenalty, (float)p.FrequencyPenalty);
        if (p.IsGreedy)
        {
            return LogitsProcessing.Argmax(logits);
        }
        LogitsProcessing.ApplyTemperature(logits, (float)p.Temperature);
        LogitsProcessing.ApplyTopK(logits, p.TopK);
        LogitsProcessing.ApplyTopP(logits, (float)p.TopP);
        LogitsProcessing.ApplyMinP(logits, (float)p.MinP);
        return LogitsProcessing.Sample(logits, _random);
    }

    /// <summary>Records <paramref name="tokenId"/> as generated (feeds the penalties).</summary>
    public void Accept(int tokenId)
    {
        _seen.Add(tokenId);
        _outputCounts[tokenId] = _outputCounts.GetValueOrDefault(tokenId) + 1;
    }

    /// <summary>Log-probability of <paramref name="tokenId"/> and the top <paramref name="top"/> alternatives under raw <paramref name="logits"/>.</summary>
    public static (double Logprob, IReadOnlyList<TokenLogprob> Top) Logprobs(ReadOnlySpan<float> logits, int tokenId, int top)
    {
        var logSum = LogitsProcessing.LogSumExp(logits);
        var best = new List<TokenLogprob>(top + 1);
        if (top > 0)
        {
            for (var i = 0; i < logits.Length; i++)
            {
                if (best.Count == top && logits[i] <= best[^1].Logprob)
                {
                    continue;
                }
                var at = 0;
                while (at < best.Count && best[at].Logprob >= logits[i])
                {
                    at++;
                }
                best.Insert(at, new TokenLogprob(i, logits[i]));
                if (best.Count > top)
                {
                    best.RemoveAt(best.Count - 1);
                }
            }
        }
        return (logits[tokenId] - logSum, best.Select(b => b with { Logprob = b.Logprob - logSum }).ToList());
    }
}
