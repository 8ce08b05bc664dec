namespace Platform.Inference.Generation;

/// <summary>
/// Pure logits transforms over a float span (one row of vocabulary logits). Masked tokens are set
/// to negative infinity. Nothing here touches a model, so each step is unit-testable.
/// </summary>
public static class LogitsProcessing
{
    /// <summary>OpenAI's logit_bias: adds each bias to its token's logit (ids outside the row are ignored).</summary>
    public static void ApplyLogitBias(Span<float> logits, IReadOnlyDictionary<int, float> bias)
    {
        foreach (var (id, value) in bias)
        {
            if ((uint)id < (uint)logits.Length)
            {
                logits[id] += value;
            }
        }
    }

    /// <summary>Hugging Face rule: a seen token's logit is divided by the penalty when positive, multiplied when negative.</summary>
    public static void ApplyRepetitionPenalty(Span<float> logits, IEnumerable<int> seenTokens, float penalty)
    {
        if (penalty == 1f)
        {
            return;
        }
        foreach (var id in seenTokens)
        {
            if ((uint)id < (uint)logits.Length)
            {
                logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
            }
        }
    }

    /// <summary>OpenAI rule: logit -= count × frequency + (count &gt; 0) × presence, over generated tokens.</summary>
    public static void ApplyPresenceAndFrequencyPenalties(Span<float> logits, IReadOnlyDictionary<int, int> outputCounts,
        float presence, float frequency)
    {
        if (presence == 0f && frequency == 0f)
        {
            return;
        }
        foreach (var (id, count) in outputCounts)
        {
            if ((uint)id < (uint)logits.Length && count > 0)
            {
                logits[id] -= count * frequency + presence;
            }
        }
    }

    /// <summary>Divides every logit by <paramref name="temperature"/> (&gt; 0).</summary>
    public static void ApplyTemperature(Span<float> logits, float temperature)
    {
        if (temperature == 1f)
        {
            return;
        }
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] /= temperature;
        }
    }

    /// <summary>Masks all but the <paramref name="k"/> largest logits (ties at the threshold are kept).</summary>
    public static void ApplyTopK(Span<float> logits, int k)
    {
        if (k <= 0 || k >= logits.Length)
        {
            return;
        }
        var sorted = logits.ToArray();
        Array.Sort(sorted);
        var threshold = sorted[^k];
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] < threshold)
            {
                logits[i] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>
    /// Nucleus: keeps the smallest set of most likely tokens whose probability reaches
    /// <paramref name="p"/> (the token that crosses p is kept).
    /// </summary>
    public static void ApplyTopP(Span<float> logits, float p)
    {
        if (p >= 1f)
        {
            return;
        }
        var probabilities = Softmax(logits);
        var order = Enumerable.Range(0, logits.Length).ToArray();
        Array.Sort(order, (a, b) => probabilities[b].CompareTo(probabilities[a]));
        double cumulative = 0;
        var keep = 0;
        while (keep < order.Length)
        {
            cumulative += probabilities[order[keep]];
            keep++;
            if (cumulative >= p)
            {
                break;
            }
        }
        for (var i = keep; i < order.Length; i++)
        {
            logits[order[i]] = float.NegativeInfinity;
        }
    }

    /// <summary>Masks tokens whose probability is below <paramref name="minP"/> × the largest probability.</summary>
    public static void ApplyMinP(Span<float> logits, float minP)
    {
        if (minP <= 0f)
        {
            return;
        }
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }
        // p_i / p_max = exp(l_i - l_max), so compare in log space.
        var threshold = max + Math.Log(minP);
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] < threshold)
            {
                logits[i] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>Probabilities (double, summing to 1) of <paramref name="logits"/>.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }
        var result = new double[logits.Length];
        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }
        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }
        return result;
    }

    /// <summary>log Σ exp(logits), computed stably.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }
        double sum = 0;
        foreach (var l in logits)
        {
            sum += Math.Exp(l - max);
        }
        return max + Math.Log(sum);
    }

    /// <summary>Index of the largest logit; the first one wins ties (as llama2.c's argmax).</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }
        return best;
    }

    /// <summary>Draws an index from softmax(<paramref name="logits"/>) with <paramref name="random"/>.</summary>
    public static int Sample(ReadOnlySpan<float> logits, Random random)
    {
        var probabilities = Softmax(logits);
        var u = random.NextDouble();
        double cumulative = 0;
        var last = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] == 0)
            {
                continue;
            }
            last = i;
            cumulative += probabilities[i];
            if (u < cumulative)
            {
                return i;
            }
        }
        return last;
    }
}
