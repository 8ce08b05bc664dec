using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Services.Gateway.Observability;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// <c>GET /api/metrics</c> (platform admin): one Prometheus text exposition of the gateway and every
/// service behind it, each sample labelled with its <c>service</c>, plus <c>platform_scrape_up</c> and
/// <c>platform_scrape_duration_seconds</c> per target. Admin-only because per-tenant and per-route
/// internals must not leak through the public door; services' own <c>/metrics</c> stay where an
/// in-cluster Prometheus can scrape them directly.
/// </summary>
public static partial class MetricsApi
{
    public static WebApplicationBuilder AddMetricsApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsAggregationOptions>().BindConfiguration(MetricsAggregationOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        // Timeouts are per scrape (a linked token), so the client itself never cuts one short.
        builder.Services.AddHttpClient(MetricsScraper.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<SelfMetrics>();
        builder.Services.AddSingleton<MetricsScraper>();
        return builder;
    }

    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/metrics", GetMetrics).AddEndpointFilter<AdminTokenFilter>();
        return app;
    }

    private static async Task<ContentHttpResult> GetMetrics(MetricsScraper scraper, ILoggerFactory logs, CancellationToken ct)
    {
        var results = await scraper.ScrapeAllAsync(ct);
        var logger = logs.CreateLogger(nameof(MetricsApi));
        var text = ExpositionMerger.Merge(results, (from, family, reason) => LogFamilyDropped(logger, family.Name, from.Service, reason));
        return TypedResults.Text(text, ExpositionMerger.ContentType);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metric family {Family} of {Service} left out of /api/metrics: {Reason}")]
    private static partial void LogFamilyDropped(ILogger logger, string family, string service, string reason);
}
