using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Gateway.Observability;

/// <summary><c>Gateway:Metrics</c>: how <c>/api/metrics</c> scrapes the services behind the gateway.</summary>
public sealed class MetricsAggregationOptions
{
    public const string Section = "Gateway:Metrics";

    /// <summary>How long one service's /metrics may take; a slower one is reported down (<c>platform_scrape_up 0</c>).</summary>
    [Range(50, 60_000)]
    public int ScrapeTimeoutMs { get; set; } = 2_000;

    /// <summary>Largest /metrics body read from one service; a larger one is reported down.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxExpositionBytes { get; set; } = 16 * 1024 * 1024;
}
