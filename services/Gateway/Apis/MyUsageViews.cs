using System.Text.Json.Serialization;
using Platform.Contracts;
using Platform.Services.Gateway.Data;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// /api/me/usage: the platform admin's <see cref="UsageResponse"/> rows (per day, model and key)
/// plus per-key request, 429 and latency figures and latency percentiles per day.
/// </summary>
public sealed record MyUsageResponse(
    [property: JsonPropertyName("tenant_id")] Guid TenantId,
    [property: JsonPropertyName("from")] DateTimeOffset From,
    [property: JsonPropertyName("to")] DateTimeOffset To,
    [property: JsonPropertyName("rows")] IReadOnlyList<UsageRow> Rows,
    [property: JsonPropertyName("keys")] IReadOnlyList<KeyUsageStats> Keys,
    [property: JsonPropertyName("latency")] IReadOnlyList<DailyLatency> Latency);

/// <summary>/api/me/limits: the tenant's plan and how much of each limit is taken now.</summary>
public sealed record MyLimitsResponse(
    [property: JsonPropertyName("tenant_id")] Guid TenantId,
    [property: JsonPropertyName("plan")] string Plan,
    [property: JsonPropertyName("limits")] IReadOnlyList<LimitInUse> Limits);

/// <summary>One limit of the plan: its size and what is in use now (requests in the last 60 s, tokens drawn from the bucket, in-flight requests, open sessions).</summary>
public sealed record LimitInUse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("limit")] long Limit,
    [property: JsonPropertyName("in_use")] long InUse);
