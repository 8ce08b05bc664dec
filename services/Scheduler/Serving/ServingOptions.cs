using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Scheduler.Serving;

/// <summary>
/// Scraping the Inference services' <c>/metrics</c> and the autoscaling it drives (section <c>Scheduler:Serving</c>).
/// The local Inference service comes from <c>Services:inference</c>; replicas a backend started are added with the
/// endpoint it reports.
/// </summary>
public sealed class ServingOptions
{
    /// <summary>Further Inference base URLs to scrape (replicas started outside this scheduler).</summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>A scrape that takes longer is reported as failed for this cycle.</summary>
    [Range(0.1, 60)]
    public double ScrapeTimeoutSeconds { get; set; } = 2;

    /// <summary>KV tokens one sequence holds on average (prompt + generated), to turn sequences into offered load.</summary>
    [Range(1, 10_000_000)]
    public double TokensPerSequence { get; set; } = 1024;

    /// <summary>The time-to-first-token objective that the scraped p95 is compared with.</summary>
    [Range(0.001, 3600)]
    public double TtftSloSeconds { get; set; } = 2;

    /// <summary>Memory of one inference replica, reserved per extra replica that enterprise load asks for.</summary>
    [Range(1, long.MaxValue)]
    public long ReplicaBytes { get; set; } = 16L << 30;

    /// <summary>KV tokens per replica when the replicas do not report their KV blocks.</summary>
    [Range(1, long.MaxValue)]
    public long ReplicaTokens { get; set; } = 65_536;

    /// <summary>Tokens per KV block of the Inference engine (capacity = (used + free blocks) × this).</summary>
    [Range(1, 4096)]
    public int KvBlockTokens { get; set; } = 16;

    /// <summary>Fewest replicas recommended.</summary>
    [Range(0, 10_000)]
    public int MinReplicas { get; set; } = 1;

    /// <summary>Most replicas recommended.</summary>
    [Range(1, 10_000)]
    public int MaxReplicas { get; set; } = 16;

    /// <summary>Share of a replica's KV capacity to plan for.</summary>
    [Range(0.05, 1)]
    public double TargetUtilization { get; set; } = 0.7;

    /// <summary>Scale in only to the highest recommendation of this window.</summary>
    [Range(0, 86_400)]
    public int ScaleInCooldownSeconds { get; set; } = 300;
}
