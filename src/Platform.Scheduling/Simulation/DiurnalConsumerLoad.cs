namespace Platform.Scheduling.Simulation;

/// <summary>
/// Generates consumer chat requests with a diurnal rate: a sinusoid between
/// mean × (1 − amplitude) at t = 0 (night) and mean × (1 + amplitude) half a period later, by
/// thinning a Poisson process. Token counts are log-normal, fitted to the Azure conversation trace
/// (context p50 1,020 / p90 2,735; generated p50 129 / p90 424).
/// </summary>
public static class DiurnalConsumerLoad
{
    /// <summary>Requests over [0, <paramref name="durationSeconds"/>).</summary>
    public static List<TraceRequest> Generate(
        string tenant, double meanRatePerSecond, double amplitude, double periodSeconds, double durationSeconds, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(meanRatePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(periodSeconds);
        if (amplitude is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(amplitude), "amplitude must be in 0..1");
        }
        var peak = meanRatePerSecond * (1 + amplitude);
        var requests = new List<TraceRequest>();
        for (var t = Exponential(random, peak); t < durationSeconds; t += Exponential(random, peak))
        {
            var rate = meanRatePerSecond * (1 - amplitude * Math.Cos(2 * Math.PI * t / periodSeconds));
            if (random.NextDouble() * peak < rate)
            {
                requests.Add(new TraceRequest(Math.Round(t, 3), tenant,
                    LogNormal(random, 1020, 0.77, 14_050), LogNormal(random, 129, 0.93, 1_000)));
            }
        }
        return requests;
    }

    private static double Exponential(Random random, double rate) => -Math.Log(1 - random.NextDouble()) / rate;

    private static int LogNormal(Random random, double median, double sigma, int max)
    {
        // Box–Muller; 1 - NextDouble() avoids log(0).
        var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return (int)Math.Clamp(Math.Round(median * Math.Exp(sigma * z)), 1, max);
    }
}
