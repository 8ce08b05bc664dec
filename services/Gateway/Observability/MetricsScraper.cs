using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace Platform.Services.Gateway.Observability;

/// <summary>
/// Reads the gateway's own metrics (in process) and every configured service replica's <c>/metrics</c>
/// (over HTTP, all at once, each within <see cref="MetricsAggregationOptions.ScrapeTimeoutMs"/>). A
/// service that refuses, hangs, errs or answers something unparsable is a result with its error: it
/// never fails the others.
/// </summary>
public sealed partial class MetricsScraper(
    IHttpClientFactory clients, IConfiguration configuration, IOptions<MetricsAggregationOptions> options,
    SelfMetrics self, TimeProvider clock, ILogger<MetricsScraper> logger)
{
    /// <summary>Name of the HTTP client used for scraping.</summary>
    public const string ClientName = "gateway-metrics-scrape";

    private readonly MetricsAggregationOptions _options = options.Value;

    public async Task<IReadOnlyList<ScrapeResult>> ScrapeAllAsync(CancellationToken cancellationToken)
    {
        var targets = BackendServices.Names
            .SelectMany(name =>
            {
                var replicas = BackendServices.Replicas(configuration, name);
                return replicas.Select(url => (name, url, instance: replicas.Count > 1 ? InstanceOf(url) : null));
            })
            .Select(t => ScrapeAsync(t.name, t.url, t.instance, cancellationToken));
        var own = ScrapeSelfAsync(cancellationToken);
        return [await own, .. await Task.WhenAll(targets)];
    }

    private async Task<ScrapeResult> ScrapeSelfAsync(CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        try
        {
            var text = await self.ReadAsync(cancellationToken);
            return new ScrapeResult("gateway", null, ExpositionParser.Parse(text), clock.GetElapsedTime(started));
        }
        // The gateway's own exposition failing must not cost the services' ones.
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogScrapeFailed(logger, "gateway", "(in process)", e.Message);
            return new ScrapeResult("gateway", null, null, clock.GetElapsedTime(started), e.Message);
        }
    }

    private async Task<ScrapeResult> ScrapeAsync(string service, string baseUrl, string? instance, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(_options.ScrapeTimeoutMs));
        try
        {
            var client = clients.CreateClient(ClientName);
            client.MaxResponseContentBufferSize = _options.MaxExpositionBytes;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl + "/metrics"));
            request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("text/plain; version=0.0.4"));
            using var response = await client.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"GET /metrics answered {(int)response.StatusCode}");
            }
            var families = ExpositionParser.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            return new ScrapeResult(service, instance, families, clock.GetElapsedTime(started));
        }
        // Whatever one service does (refuses, hangs, answers garbage or too much) must not stop the others.
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var error = e is OperationCanceledException ? $"no answer within {_options.ScrapeTimeoutMs} ms" : e.Message;
            LogScrapeFailed(logger, service, baseUrl, error);
            return new ScrapeResult(service, instance, null, clock.GetElapsedTime(started), error);
        }
    }

    private static string InstanceOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : url;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scraping metrics of {Service} at {Url} failed: {Error}")]
    private static partial void LogScrapeFailed(ILogger logger, string service, string url, string error);
}
