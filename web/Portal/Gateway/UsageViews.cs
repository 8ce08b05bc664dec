using System.Text.Json.Serialization;
using Platform.Contracts;

namespace Platform.Portal.Gateway;

// What the portal reads of the gateway's GET /api/me/usage and GET /api/me/limits.

public sealed record MyUsageView(
    [property: JsonPropertyName("tenant_id")] Guid TenantId,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<UsageRow> Rows,
    IReadOnlyList<KeyUsageView> Keys,
    IReadOnlyList<DailyLatencyView> Latency);

public sealed record KeyUsageView(
    [property: JsonPropertyName("key_id")] string KeyId,
    long Requests,
    [property: JsonPropertyName("rate_limited")] long RateLimited,
    long Errors,
    [property: JsonPropertyName("latency_p50_ms")] double LatencyP50Ms,
    [property: JsonPropertyName("latency_p95_ms")] double LatencyP95Ms);

public sealed record DailyLatencyView(DateOnly Day, long Requests, [property: JsonPropertyName("p50_ms")] double P50Ms, [property: JsonPropertyName("p95_ms")] double P95Ms);

public sealed record LimitsView(string Plan, IReadOnlyList<LimitInUseView> Limits);

public sealed record LimitInUseView(string Name, long Limit, [property: JsonPropertyName("in_use")] long InUse)
{
    public double Percent => Limit <= 0 ? 0 : Math.Min(100, 100.0 * InUse / Limit);

    public string Label => Name switch
    {
        "requests_per_minute" => "Requests per minute",
        "tokens_per_minute" => "Tokens per minute",
        "concurrent_requests" => "Concurrent requests",
        "sessions" => "Open chat sessions",
        _ => Name,
    };
}
