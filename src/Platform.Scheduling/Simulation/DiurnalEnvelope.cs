namespace Platform.Scheduling.Simulation;

/// <summary>
/// A compressed day: load rises from a night-time floor to a peak and back over one period. Used to
/// give the hour-long public traces the idle periods that real diurnal load has: the trace is tiled
/// over the day and each request is kept with probability <see cref="At"/> (thinning).
/// </summary>
/// <param name="PeriodSeconds">Length of the compressed day.</param>
/// <param name="Floor">Night-time load as a fraction of the peak (0..1).</param>
/// <param name="PeakAt">Where in the day the peak falls, as a fraction of the period (0.5 = midday).</param>
/// <param name="Sharpness">
/// Exponent of the raised cosine: 1 is a plain raised cosine (above half of the peak for half the day);
/// 3 concentrates the load in business hours (above half of the peak for about a third of the day).
/// </param>
public sealed record DiurnalEnvelope(double PeriodSeconds, double Floor, double PeakAt, double Sharpness = 1)
{
    /// <summary>Load at <paramref name="seconds"/> as a fraction of the peak: a raised cosine (to the power <see cref="Sharpness"/>) between <see cref="Floor"/> and 1.</summary>
    public double At(double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PeriodSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Sharpness);
        if (Floor is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Floor), "floor must be in 0..1");
        }
        var phase = seconds / PeriodSeconds - PeakAt;
        return Floor + (1 - Floor) * Math.Pow((1 + Math.Cos(2 * Math.PI * phase)) / 2, Sharpness);
    }

    /// <summary>
    /// Tiles <paramref name="requests"/> (one span of a trace, sorted by time) back to back over
    /// [0, <paramref name="durationSeconds"/>) and keeps each copy with probability <see cref="At"/>.
    /// </summary>
    public List<TraceRequest> Apply(IReadOnlyList<TraceRequest> requests, double durationSeconds, Random random)
    {
        var result = new List<TraceRequest>();
        if (requests.Count == 0)
        {
            return result;
        }
        var span = Math.Max(1, requests[^1].TimeSeconds + 1);
        for (var offset = 0.0; offset < durationSeconds; offset += span)
        {
            foreach (var r in requests)
            {
                var t = offset + r.TimeSeconds;
                if (t >= durationSeconds)
                {
                    break;
                }
                if (random.NextDouble() < At(t))
                {
                    result.Add(r with { TimeSeconds = Math.Round(t, 3) });
                }
            }
        }
        return result;
    }
}
