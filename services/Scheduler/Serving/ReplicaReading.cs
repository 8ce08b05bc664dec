namespace Platform.Services.Scheduler.Serving;

/// <summary>What one Inference endpoint's <c>/metrics</c> said at <paramref name="ScrapedAt"/> (shown in <c>GET /api/pool</c>).</summary>
/// <param name="Endpoint">Base URL scraped.</param>
/// <param name="WorkloadId">The placement it serves, when a backend started it.</param>
/// <param name="ScrapedAt">When.</param>
/// <param name="Error">Why the scrape failed; the other fields are then zero.</param>
/// <param name="Queue">Waiting sequences, all models and classes.</param>
/// <param name="Running">Running sequences.</param>
/// <param name="TtftP95Seconds">p95 time to first token since the previous scrape (the first scrape: since start); null without observations.</param>
/// <param name="KvBlocksUsed">KV blocks referenced.</param>
/// <param name="KvBlocksFree">KV blocks available.</param>
/// <param name="Classes">The same per priority class.</param>
public sealed record ReplicaReading(
    string Endpoint, string? WorkloadId, DateTimeOffset ScrapedAt, string? Error,
    int Queue, int Running, double? TtftP95Seconds, long KvBlocksUsed, long KvBlocksFree, IReadOnlyList<ClassReading> Classes);

/// <summary>One priority class on one endpoint.</summary>
public sealed record ClassReading(string Priority, int Queue, int Running, double? TtftP95Seconds);
