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

    /// <summary>Aggregate generated tokens/s with N concurrent streams, keyed "1", "8", "32", "64".</summary>
    [JsonPropertyName("throughput_by_concurrency")] public required Dictionary<string, double> ThroughputByConcurrency { get; init; }
    [JsonPropertyName("throughput_32_vs_1")] public double Throughput32Vs1 { get; init; }

    [JsonPropertyName("mixed_requests")] public int MixedRequests { get; init; }
    [JsonPropertyName("mixed_batch_size")] public int MixedBatchSize { get; init; }
    [JsonPropertyName("mixed_output_tokens")] public string MixedOutputTokens { get; init; } = "";
    [JsonPropertyName("continuous_throughput")] public double ContinuousThroughput { get; init; }
    [JsonPropertyName("static_throughput")] public double StaticThroughput { get; init; }
    [JsonPropertyName("continuous_vs_static_throughput_ratio")] public double ContinuousVsStaticThroughputRatio { get; init; }
    [JsonPropertyName("continuous_p50_latency_s")] public double ContinuousP50LatencySeconds { get; init; }
    [JsonPropertyName("static_p50_latency_s")] public double StaticP50LatencySeconds { get; init; }

    [JsonPropertyName("base8_time_s")] public double Base8Seconds { get; init; }
    [JsonPropertyName("lora8_time_s")] public double Lora8Seconds { get; init; }
    [JsonPropertyName("lora8_vs_base_time_ratio")] public double Lora8VsBaseTimeRatio { get; init; }

    [JsonPropertyName("prefix_tokens")] public int PrefixTokens { get; init; }
    [JsonPropertyName("prefix_cold_ttft_s")] public double PrefixColdTtftSeconds { get; init; }
    [JsonPropertyName("prefix_warm_ttft_s")] public double PrefixWarmTtftSeconds { get; init; }
    [JsonPropertyName("prefix_ttft_speedup")] public double PrefixTtftSpeedup { get; init; }
}
