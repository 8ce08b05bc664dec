using System.Text.Json.Serialization;

namespace Platform.Inference.Benchmarks;

/// <summary>What `./platform engine-bench` reports (snake_case JSON).</summary>
public sealed record EngineBenchResult
{
    /// <summary>Model description, e.g. "random-110m".</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }

    /// <summary>Where the model ran: "cpu" or "cuda:N".</summary>
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";

    /// <summary>Parameter count.</summary>
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }

    /// <summary>Weight bytes streamed per decoded token (all matrices incl. lm_head, F32).</summary>
    [JsonPropertyName("weight_bytes_per_token")] public required long WeightBytesPerToken { get; init; }

    /// <summary>Intra-op threads LibTorch used.</summary>
    [JsonPropertyName("threads")] public required int Threads { get; init; }

    /// <summary>Single-stream decode rate averaged over context 0–512.</summary>
    [JsonPropertyName("decode_tokens_per_second")] public required double DecodeTokensPerSecond { get; init; }

    /// <summary>Decode rate at a few context lengths.</summary>
    [JsonPropertyName("decode_tokens_per_second_by_context")] public required IReadOnlyDictionary<string, double> DecodeByContext { get; init; }

    /// <summary>Prefill rate for a 512-token prompt.</summary>
    [JsonPropertyName("prefill_tokens_per_second")] public required double PrefillTokensPerSecond { get; init; }

    /// <summary>Measured large-buffer copy bandwidth (read + write bytes per second / 1e9).</summary>
    [JsonPropertyName("copy_bandwidth_gb_per_second")] public required double CopyBandwidthGbPerSecond { get; init; }

    /// <summary>Weight bytes per token ÷ copy bandwidth, as tokens per second.</summary>
    [JsonPropertyName("bandwidth_bound_tokens_per_second")] public required double BandwidthBoundTokensPerSecond { get; init; }

    /// <summary>decode ÷ bound.</summary>
    [JsonPropertyName("fraction_of_bound")] public required double FractionOfBound { get; init; }

    /// <summary>Time of one decode step spent outside the matrix multiplies (measured by timing the same matmuls alone).</summary>
    [JsonPropertyName("overhead_fraction")] public required double OverheadFraction { get; init; }

    /// <summary>Peak resident set size of the process.</summary>
    /// <remarks>The process's peak resident memory (host memory, also when the model runs on a GPU).</remarks>
    [JsonPropertyName("peak_memory_mb")] public required double PeakMemoryMb { get; init; }
}
