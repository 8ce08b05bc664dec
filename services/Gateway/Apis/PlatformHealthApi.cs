using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// `/api/health`: the readiness of every service the gateway routes to, asked in parallel (2 s each),
/// so one URL tells whether the platform behind the door is up. Each service's own /metrics stays
/// where Prometheus scrapes it.
/// </summary>
public static class PlatformHealthApi
{
    private static readonly string[] Services = ["inference", "rag", "ingestion", "finetune", "scheduler"];
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
        var checks = Services
            .Select(name => (name, url: (configuration[$"Services:{name}"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()))
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
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new ServiceHealth(name, "Unhealthy", e.Message);
        }
    }
}
