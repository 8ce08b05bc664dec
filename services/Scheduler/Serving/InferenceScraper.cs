using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Platform.Services.Scheduler.Serving;

/// <summary>An Inference endpoint to scrape, and the placement it serves when a backend started it.</summary>
public sealed record ScrapeTarget(string Endpoint, string? WorkloadId);

/// <summary>
/// Reads <c>/metrics</c> of every known Inference endpoint in parallel (HTTP client <see cref="ClientName"/>).
/// TTFT p95 is taken over the observations since the previous scrape of the same endpoint. A failed scrape is a
/// reading with its error; it does not stop the others.
/// </summary>
public sealed partial class InferenceScraper(
    IHttpClientFactory clients, IConfiguration configuration, IOptions<ServingOptions> options, TimeProvider time, ILogger<InferenceScraper> logger)
{
    /// <summary>Name of the HTTP client used for scraping.</summary>
    public const string ClientName = "inference-metrics";

    private readonly ServingOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Dictionary<string, HistogramSeries>> _previous = new(StringComparer.Ordinal);

    /// <summary>The configured endpoints: <c>Services:inference</c> and <c>Scheduler:Serving:Endpoints</c>.</summary>
    public IReadOnlyList<ScrapeTarget> ConfiguredTargets() =>
        new[] { configuration["Services:inference"] }.Concat(_options.Endpoints)
            .Where(e => !string.IsNullOrWhiteSpace(e))
            .Select(e => new ScrapeTarget(e!.TrimEnd('/'), null))
            .ToList();

    /// <summary>Scrapes every target once (duplicates by endpoint removed).</summary>
    public async Task<IReadOnlyList<ReplicaReading>> ScrapeAsync(IEnumerable<ScrapeTarget> targets, CancellationToken cancellationToken)
    {
        var unique = targets.GroupBy(t => t.Endpoint.TrimEnd('/'), StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
        return await Task.WhenAll(unique.Select(t => ScrapeOneAsync(t, cancellationToken)));
    }

    private async Task<ReplicaReading> ScrapeOneAsync(ScrapeTarget target, CancellationToken cancellationToken)
    {
        var endpoint = target.Endpoint.TrimEnd('/');
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.ScrapeTimeoutSeconds));
        try
        {
            var client = clients.CreateClient(ClientName);
            using var response = await client.GetAsync(new Uri(endpoint + "/metrics"), timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return Failed(target, $"GET /metrics answered {(int)response.StatusCode}");
            }
            var samples = PrometheusText.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            var ttft = InferenceMetrics.Ttft(samples);
            var previous = _previous.GetValueOrDefault(endpoint);
            var since = ttft.ToDictionary(h => h.Key, h => h.Value.Since(previous?.GetValueOrDefault(h.Key)), StringComparer.Ordinal);
            _previous[endpoint] = ttft;
            return InferenceMetrics.Read(endpoint, target.WorkloadId, time.GetUtcNow(), samples, since);
        }
        // Whatever one endpoint does (refuses, hangs, answers garbage, is misconfigured) must not stop the cycle.
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogScrapeFailed(logger, endpoint, e.Message);
            return Failed(target, e is OperationCanceledException ? $"no answer within {_options.ScrapeTimeoutSeconds} s" : e.Message);
        }
    }

    private ReplicaReading Failed(ScrapeTarget target, string error) =>
        new(target.Endpoint.TrimEnd('/'), target.WorkloadId, time.GetUtcNow(), error, 0, 0, null, 0, 0, []);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scraping {Endpoint}/metrics failed: {Error}")]
    private static partial void LogScrapeFailed(ILogger logger, string endpoint, string error);
}
