using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Gateway;

public sealed class GatewayOptions
{
    /// <summary>Bearer token of the platform admin API (bootstrap credential; `./platform up` generates one).</summary>
    public string AdminToken { get; set; } = "";

    /// <summary>Server-side key of the API-key HMAC; at least 32 characters. Changing it invalidates every key.</summary>
    [Required, MinLength(32)]
    public string KeyHashSecret { get; set; } = "";

    /// <summary>How long a looked-up key stays cached when no invalidation arrives (pub/sub normally evicts it at once).</summary>
    [Range(1, 3600)]
    public int KeyCacheSeconds { get; set; } = 60;

    /// <summary>Largest JSON request body (chat, completions, embeddings, RAG) the gateway accepts (413 above it).</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Largest body on the other proxied routes (file and document uploads); 413 above it.</summary>
    [Range(1024, 64L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>How often queued usage records are written (in batches of up to 500), and always on graceful shutdown.</summary>
    [Range(10, 3_600_000)]
    public int UsageFlushMilliseconds { get; set; } = 1_000;

    [Required]
    public ThrottlingOptions Throttling { get; set; } = new();
}

public sealed class ThrottlingOptions
{
    /// <summary>Concurrent requests the GPU pool serves; the consumer admission share is a fraction of it.</summary>
    [Range(1, 1_000_000)]
    public int PoolConcurrency { get; set; } = 64;

    /// <summary>
    /// Consumer admission share used while the Scheduler publishes none in <c>pool:admission:consumer</c>.
    /// Half the pool: enterprise keeps headroom for its guarantees, consumers are not shut out.
    /// </summary>
    [Range(0.0, 1.0)]
    public double DefaultConsumerShare { get; set; } = 0.5;

    /// <summary>Lease lifetime of an in-flight request; a live stream renews it every third of this.</summary>
    [Range(3, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Completion tokens reserved at admission when the request names no max_tokens.</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxTokens { get; set; } = 512;

    /// <summary>While Redis is unreachable, enterprise traffic is admitted per replica at this fraction of its plan.</summary>
    [Range(0.01, 1.0)]
    public double LocalFallbackFraction { get; set; } = 0.25;

    /// <summary>How long an over-share consumer request may wait in the fair queue before it is refused (0: no queue).</summary>
    [Range(0, 120_000)]
    public int QueueTimeoutMs { get; set; } = 5_000;

    /// <summary>Most consumer requests one gateway replica holds in its fair queue.</summary>
    [Range(0, 100_000)]
    public int QueueCapacity { get; set; } = 1_000;
}
