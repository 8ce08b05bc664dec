using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Services.Gateway.Observability;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// `/api/health`: the readiness of every service the gateway routes to, asked in parallel (2 s each),
/// so one URL tells whether the platform behind the door is up (statuses only, so it is public).
/// Metrics are aggregated by <see cref="MetricsApi"/>, for the platform admin.
/// </summary>
public static class PlatformHealthApi
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(2) };

    public static IEndpointRouteBuilder MapPlatformHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", GetHealth);
        return app;
    }

    public sealed record ServiceHealth(string Service, string Status, string? Detail);

    public sealed record PlatformHealth(string Status, IReadOnlyList<ServiceHealth> Services);

    private static async Task<Ok<PlatformHealth>> GetHealth(IConfiguration configuration, CancellationToken ct)
    {
        var checks = BackendServices.Names
            .Select(name => (name, url: BackendServices.Replicas(configuration, name).FirstOrDefault()))
            .Select(s => s.url is null ? Task.FromResult(new ServiceHealth(s.name, "NotConfigured", null)) : CheckAsync(s.name, s.url, ct));
        var results = await Task.WhenAll(checks);
        var configured = results.Where(r => r.Status != "NotConfigured").ToList();
        var overall = configured.All(r => r.Status == "Healthy") ? "Healthy" : configured.Any(r => r.Status != "Unhealthy") ? "Degraded" : "Unhealthy";
        return TypedResults.Ok(new PlatformHealth(overall, results));
    }

    private static async Task<ServiceHealth> CheckAsync(string name, string baseUrl, CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(baseUrl.TrimEnd('/') + "/health/ready", ct);
            var status = "Unhealthy";
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                status = doc.RootElement.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : status;
            }
            return new ServiceHealth(name, response.IsSuccessStatusCode ? status : "Unhealthy", $"HTTP {(int)response.StatusCode}");
        }
        // The route is public: say what kind of failure it was, never the exception's text (it names internal addresses).
        catch (HttpRequestException)
        {
            return new ServiceHealth(name, "Unhealthy", "unreachable");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ServiceHealth(name, "Unhealthy", "no answer within 2 s");
        }
        catch (JsonException)
        {
            return new ServiceHealth(name, "Unhealthy", "unreadable health answer");
        }
    }
}
