namespace Platform.Inference.Serving;

/// <summary>Sizing of one model's serving engine.</summary>
public sealed record ServingEngineOptions
{
    /// <summary>Bytes of KV cache (keys and values over all layers, F32).</summary>
    public long KvCacheBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Step limits.</summary>
    public SchedulerOptions Scheduler { get; init; } = new();
}
