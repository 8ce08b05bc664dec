using Microsoft.Extensions.Options;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Workloads;

namespace Platform.Services.Scheduler.Serving;

/// <summary>
/// Once per scheduling cycle: scrapes the Inference endpoints and runs the pure
/// <see cref="ServingPressure"/> policy on what they report. Keeps the last view for <c>GET /api/pool</c>.
/// </summary>
public sealed class ServingMonitor(InferenceScraper scraper, IOptions<ServingOptions> options, TimeProvider time)
{
    private readonly ServingOptions _options = options.Value;
    private readonly SemaphoreSlim _gate = new(1, 1); // the autoscaler's history and the TTFT baselines take one scrape at a time
    private readonly ServingPressure _pressure = new(new AutoscalerSettings(
        options.Value.MinReplicas, Math.Max(options.Value.MinReplicas, options.Value.MaxReplicas), options.Value.TargetUtilization,
        TimeSpan.FromSeconds(options.Value.ScaleInCooldownSeconds)));

    /// <summary>The last scrape and plan; null before the first cycle.</summary>
    public ServingView? Last { get; private set; }

    /// <summary>
    /// Scrapes the configured endpoints plus <paramref name="replicas"/> (those a backend started) and plans.
    /// <paramref name="notReadyReplicas"/>: replicas placed but not serving yet.
    /// </summary>
    public async Task<ServingView> ObserveAsync(IEnumerable<ScrapeTarget> replicas, int notReadyReplicas, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var readings = await scraper.ScrapeAsync(scraper.ConfiguredTargets().Concat(replicas), cancellationToken);
            var loads = readings.Where(r => r.Error is null).Select(ToLoad).ToList();
            var settings = new ServingSettings(_options.TokensPerSequence, _options.TtftSloSeconds, _options.ReplicaBytes,
                FallbackTokensPerReplica: _options.ReplicaTokens);
            var plan = _pressure.Plan(loads, settings, time.GetUtcNow(), notReadyReplicas);
            return Last = new ServingView(readings, plan);
        }
        finally
        {
            _gate.Release();
        }
    }

    private ReplicaLoad ToLoad(ReplicaReading reading) =>
        new(reading.Endpoint, (reading.KvBlocksUsed + reading.KvBlocksFree) * _options.KvBlockTokens,
            reading.Classes
                .Select(c => PriorityClassNames.TryParse(c.Priority, out var p) ? new ClassLoad(p, c.Queue, c.Running, c.TtftP95Seconds) : null)
                .OfType<ClassLoad>()
                .ToList());
}
