using System.Globalization;

namespace Platform.Services.Scheduler.Serving;

/// <summary>
/// Reads the Inference service's instruments (meter <c>Platform.Inference</c>, see docs/serving.md) out of parsed
/// Prometheus samples. Names are matched as OpenTelemetry's exporter writes them: dots become underscores and a
/// unit suffix may follow (<c>platform_inference_time_to_first_token_seconds_bucket</c>).
/// </summary>
public static class InferenceMetrics
{
    private const string QueueLength = "platform_inference_queue_length";
    private const string Running = "platform_inference_running_sequences";
    private const string KvUsed = "platform_inference_kv_blocks_used";
    private const string KvFree = "platform_inference_kv_blocks_free";
    private const string TtftName = "platform_inference_time_to_first_token";

    /// <summary>The TTFT histogram per priority class, summed over models.</summary>
    public static Dictionary<string, HistogramSeries> Ttft(IReadOnlyList<PrometheusSample> samples)
    {
        var series = samples.Where(s => s.Name.StartsWith(TtftName, StringComparison.Ordinal) && s.Label("priority") is not null).ToList();
        return series.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Label("le") is not null)
            .GroupBy(s => s.Label("priority")!, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => new HistogramSeries(
                    g.GroupBy(s => ParseLe(s.Label("le")!)).Select(b => (b.Key, b.Sum(s => s.Value))).OrderBy(b => b.Item1).ToList(),
                    series.Where(s => s.Name.EndsWith("_sum", StringComparison.Ordinal) && s.Label("priority") == g.Key).Sum(s => s.Value)),
                StringComparer.Ordinal);
    }

    /// <summary>
    /// The reading of one endpoint; <paramref name="ttftSince"/> are the TTFT buckets observed since the previous
    /// scrape, per class (see <see cref="HistogramSeries.Since"/>).
    /// </summary>
    public static ReplicaReading Read(
        string endpoint, string? workloadId, DateTimeOffset scrapedAt, IReadOnlyList<PrometheusSample> samples,
        IReadOnlyDictionary<string, HistogramSeries> ttftSince)
    {
        var queue = PerClass(samples, QueueLength);
        var running = PerClass(samples, Running);
        var classes = queue.Keys.Union(running.Keys).Union(ttftSince.Keys).Order(StringComparer.Ordinal)
            .Select(p => new ClassReading(p, queue.GetValueOrDefault(p), running.GetValueOrDefault(p),
                ttftSince.TryGetValue(p, out var h) ? Round(h.Quantile(0.95)) : null))
            .ToList();
        var p95 = classes.Select(c => c.TtftP95Seconds).Where(v => v is not null).DefaultIfEmpty(null).Max();
        return new ReplicaReading(endpoint, workloadId, scrapedAt, null, queue.Values.Sum(), running.Values.Sum(), p95,
            Total(samples, KvUsed), Total(samples, KvFree), classes);
    }

    private static Dictionary<string, int> PerClass(IReadOnlyList<PrometheusSample> samples, string name) =>
        samples.Where(s => Matches(s.Name, name) && s.Label("priority") is not null)
            .GroupBy(s => s.Label("priority")!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (int)g.Sum(s => s.Value), StringComparer.Ordinal);

    private static long Total(IReadOnlyList<PrometheusSample> samples, string name) =>
        (long)samples.Where(s => Matches(s.Name, name)).Sum(s => s.Value);

    // Gauges: the bare name, or the name with a unit suffix the exporter appended (never _bucket/_sum/_count of another instrument).
    private static bool Matches(string sample, string name) =>
        sample == name || (sample.StartsWith(name + "_", StringComparison.Ordinal) && !sample.EndsWith("_bucket", StringComparison.Ordinal));

    private static double ParseLe(string le) =>
        le is "+Inf" or "Inf" ? double.PositiveInfinity : double.Parse(le, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 6) : null;
}
