using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Platform.Inference.Serving;

/// <summary>
/// Instruments of the meter "Platform.Inference": per model and priority class, queue length,
/// running sequences, KV blocks used/free, prefix-cache hit rate, tokens/s, time to first token and
/// inter-token latency histograms, generated tokens and preemptions.
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Platform.Inference";

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly ConcurrentDictionary<string, Func<ServingStats>> _engines = new(StringComparer.Ordinal);
    private readonly Histogram<double> _ttft;
    private readonly Histogram<double> _itl;
    private readonly Counter<long> _generated;
    private readonly Counter<long> _preemptions;

    /// <summary>Creates the instruments on <paramref name="meter"/>.</summary>
    public ServingMetrics(Meter meter)
    {
        // Bucket edges in seconds (OpenTelemetry's default edges are meant for milliseconds and would put
        // every first token under 5 s in one bucket, leaving the scheduler no usable p95).
        _ttft = meter.CreateHistogram("platform.inference.time_to_first_token", "s", "Arrival to first generated token",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _itl = meter.CreateHistogram("platform.inference.inter_token_latency", "s", "Time between consecutive tokens of a sequence",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _generated = meter.CreateCounter<long>("platform.inference.generated_tokens", "{token}", "Completion tokens generated");
        _preemptions = meter.CreateCounter<long>("platform.inference.preemptions", "{sequence}", "Sequences preempted for KV blocks");
        meter.CreateObservableGauge("platform.inference.queue_length", () => PerClass(s => s.Waiting), "{sequence}", "Waiting sequences");
        meter.CreateObservableGauge("platform.inference.running_sequences", () => PerClass(s => s.Running), "{sequence}", "Running sequences");
        meter.CreateObservableGauge("platform.inference.kv_blocks_used", () => PerModel(s => s.KvBlocksUsed), "{block}", "KV blocks referenced");
        meter.CreateObservableGauge("platform.inference.kv_blocks_free", () => PerModel(s => s.KvBlocksFree), "{block}", "KV blocks available");
        meter.CreateObservableGauge("platform.inference.prefix_cache_hit_rate", () => PerModel(s => s.PrefixHitRate), null, "Prompt tokens served from the prefix cache ÷ prompt tokens");
        meter.CreateObservableGauge("platform.inference.admission_new_token_ratio", () => PerModel(s => s.AdmissionNewTokenRatio), null,
            "Admission's estimate of the share of their remaining max_tokens running sequences will still write (0: optimistic)");
        meter.CreateObservableCounter("platform.inference.lora_stack_builds", () => PerModel(s => s.AdapterStackBuilds), "{build}",
            "LoRA stacks built (kept while they hold every adapter a batch needs)");
        meter.CreateObservableGauge("platform.inference.tokens_per_second", () => PerModel(s => s.TokensPerSecond), "{token}/s", "Generated tokens per second (last 5 s)");
    }

    /// <summary>Adds an engine's stats to the gauges.</summary>
    public void Register(string model, Func<ServingStats> stats) => _engines[model] = stats;

    /// <summary>Removes an engine.</summary>
    public void Unregister(string model) => _engines.TryRemove(model, out _);

    /// <summary>Records a first token <paramref name="seconds"/> after arrival.</summary>
    public void FirstToken(string model, PriorityClass priority, double seconds) => _ttft.Record(seconds, Tags(model, priority));

    /// <summary>Records the gap before a later token.</summary>
    public void NextToken(string model, PriorityClass priority, double seconds) => _itl.Record(seconds, Tags(model, priority));

    /// <summary>Counts a generated token.</summary>
    public void Generated(string model, PriorityClass priority) => _generated.Add(1, Tags(model, priority));

    /// <summary>Counts a preemption.</summary>
    public void Preempted(string model, PriorityClass priority) => _preemptions.Add(1, Tags(model, priority));

    private static KeyValuePair<string, object?>[] Tags(string model, PriorityClass priority) =>
        [new("model", model), new("priority", priority.Name())];

    private IEnumerable<Measurement<int>> PerClass(Func<ServingStats, int[]> select)
    {
        foreach (var (model, stats) in _engines)
        {
            var values = select(stats());
            foreach (var priority in Enum.GetValues<PriorityClass>())
            {
                yield return new Measurement<int>(values[(int)priority], Tags(model, priority));
            }
        }
    }

    private IEnumerable<Measurement<T>> PerModel<T>(Func<ServingStats, T> select) where T : struct
    {
        foreach (var (model, stats) in _engines)
        {
            yield return new Measurement<T>(select(stats()), new KeyValuePair<string, object?>("model", model));
        }
    }
}
