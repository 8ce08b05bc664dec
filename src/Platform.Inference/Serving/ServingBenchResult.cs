using System.Text.Json.Serialization;

namespace Platform.Inference.Serving;

/// <summary>Figures printed by <c>./platform serving-bench --json</c>.</summary>
public sealed record ServingBenchResult
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("kv_blocks")] public int KvBlocks { get; init; }
    [JsonPropertyName("tokens_per_stream")] public int TokensPerStream { get; init; }
    [JsonPropertyName("repeats")] public int Repeats { get; init; }

    /// <summary>
    /// Aggregate decode tokens/s with N concurrent streams, keyed "1", "8", "32", "64": tokens after
    /// each stream's first, from the first stream's first token to the last stream's last.
    /// </summary>
    [JsonPropertyName("throughput_by_concurrency")] public required Dictionary<string, double> ThroughputByConcurrency { get; init; }
    [JsonPropertyName("throughput_32_vs_1")] public double Throughput32Vs1 { get; init; }

    /// <summary>The same runs counted end to end: all generated tokens ÷ wall time from submission (prefill included).</summary>
    [JsonPropertyName("end_to_end_throughput_by_concurrency")] public Dictionary<string, double> EndToEndThroughputByConcurrency { get; init; } = [];
    [JsonPropertyName("end_to_end_32_vs_1")] public double EndToEnd32Vs1 { get; init; }

    /// <summary>
    /// Milliseconds per forward of those runs in each phase (prepare, forward, device_wait, sample; see
    /// <see cref="StepPhases"/>), keyed like <see cref="ThroughputByConcurrency"/>.
    /// </summary>
    [JsonPropertyName("step_phases_ms_by_concurrency")] public Dictionary<string, Dictionary<string, double>> StepPhasesByConcurrency { get; init; } = [];

    [JsonPropertyName("mixed_requests")] public int MixedRequests { get; init; }
    [JsonPropertyName("mixed_batch_size")] public int MixedBatchSize { get; init; }
    [JsonPropertyName("mixed_output_tokens")] public string MixedOutputTokens { get; init; } = "";
    [JsonPropertyName("continuous_throughput")] public double ContinuousThroughput { get; init; }
    [JsonPropertyName("static_throughput")] public double StaticThroughput { get; init; }
    [JsonPropertyName("continuous_vs_static_throughput_ratio")] public double ContinuousVsStaticThroughputRatio { get; init; }
    [JsonPropertyName("continuous_p50_latency_s")] public double ContinuousP50LatencySeconds { get; init; }
    [JsonPropertyName("static_p50_latency_s")] public double StaticP50LatencySeconds { get; init; }

    /// <summary>KV blocks both sides of the headline comparison get: static batching's worst-case reservation.</summary>
    [JsonPropertyName("kv_blocks_same_memory")] public int KvBlocksSameMemory { get; init; }
    [JsonPropertyName("continuous_preemptions")] public long ContinuousPreemptions { get; init; }

    /// <summary>The admission the continuous runs used, the device's default: "estimating" (CPU) or "optimistic" (GPU).</summary>
    [JsonPropertyName("admission")] public string Admission { get; init; } = "";

    /// <summary>The same-memory continuous run again with the other admission (SchedulerOptions.ForDevice).</summary>
    [JsonPropertyName("other_admission_throughput")] public double OtherAdmissionThroughput { get; init; }
    [JsonPropertyName("other_admission_vs_static_throughput_ratio")] public double OtherAdmissionVsStaticThroughputRatio { get; init; }
    [JsonPropertyName("other_admission_p50_latency_s")] public double OtherAdmissionP50LatencySeconds { get; init; }
    [JsonPropertyName("other_admission_preemptions")] public long OtherAdmissionPreemptions { get; init; }

    /// <summary>Continuous batching capped at the static batch size (at most that many in flight), whatever memory it has.</summary>
    [JsonPropertyName("same_slots_throughput")] public double SameSlotsThroughput { get; init; }
    [JsonPropertyName("same_slots_vs_static_throughput_ratio")] public double SameSlotsVsStaticThroughputRatio { get; init; }
    [JsonPropertyName("same_slots_p50_latency_s")] public double SameSlotsP50LatencySeconds { get; init; }

    [JsonPropertyName("base8_time_s")] public double Base8Seconds { get; init; }
    [JsonPropertyName("lora8_time_s")] public double Lora8Seconds { get; init; }
    [JsonPropertyName("lora8_vs_base_time_ratio")] public double Lora8VsBaseTimeRatio { get; init; }

    [JsonPropertyName("prefix_tokens")] public int PrefixTokens { get; init; }
    [JsonPropertyName("prefix_cold_ttft_s")] public double PrefixColdTtftSeconds { get; init; }
    [JsonPropertyName("prefix_warm_ttft_s")] public double PrefixWarmTtftSeconds { get; init; }
    [JsonPropertyName("prefix_ttft_speedup")] public double PrefixTtftSpeedup { get; init; }
}
