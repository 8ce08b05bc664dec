namespace Platform.Services.Scheduler.Serving;

/// <summary>A Prometheus histogram: cumulative buckets (upper bound <c>le</c> → count, +Inf included) and the sum of observations.</summary>
public sealed record HistogramSeries(IReadOnlyList<(double Le, double Count)> Buckets, double Sum)
{
    /// <summary>Observations in all.</summary>
    public double Count => Buckets.Count == 0 ? 0 : Buckets.Max(b => b.Count);

    /// <summary>
    /// What was observed since <paramref name="previous"/> (bucket by bucket, and the sum). When any count went down
    /// the process restarted, and this histogram is returned as it is.
    /// </summary>
    public HistogramSeries Since(HistogramSeries? previous)
    {
        if (previous is null)
        {
            return this;
        }
        var before = previous.Buckets.ToDictionary(b => b.Le, b => b.Count);
        var delta = Buckets.Select(b => (b.Le, Count: b.Count - before.GetValueOrDefault(b.Le))).ToList();
        return delta.Any(b => b.Count < 0) ? this : new HistogramSeries(delta, Math.Max(0, Sum - previous.Sum));
    }

    /// <summary>
    /// The <paramref name="q"/> quantile, as PromQL's <c>histogram_quantile</c> computes it (linear inside the bucket it
    /// falls in; in the +Inf bucket, the highest finite bound), then capped by what the sum allows: at least
    /// ⌈(1 − q)·n⌉ observations are ≥ the quantile, so it is at most sum ÷ ⌈(1 − q)·n⌉ (observations are not negative).
    /// The cap matters when the buckets are coarse; null when there are no observations.
    /// </summary>
    public double? Quantile(double q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        var sorted = Buckets.OrderBy(b => b.Le).ToList();
        var n = Count;
        if (n <= 0)
        {
            return null;
        }
        var interpolated = Interpolate(sorted, q * n);
        var atOrAbove = Math.Max(1, Math.Ceiling((1 - q) * n));
        return Math.Min(interpolated, Math.Max(0, Sum) / atOrAbove);
    }

    private static double Interpolate(List<(double Le, double Count)> sorted, double rank)
    {
        var lower = 0.0;
        var below = 0.0;
        foreach (var (le, count) in sorted)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(le))
                {
                    return lower;
                }
                var inBucket = count - below;
                return inBucket <= 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
            }
            lower = le;
            below = count;
        }
        return lower;
    }
}
