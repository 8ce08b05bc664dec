using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>The signed-in person's own tenant's usage (the portal's dashboard): per day, model and key; per key requests, 429s and latency p50/p95; latency p50/p95 per day. Also maps /api/me/limits.</summary>
public static class MyUsageApi
{
    public static IEndpointRouteBuilder MapMyUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me/usage", GetUsage).AddEndpointFilter<PortalSessionFilter>();
        return app.MapMyLimitsApi();
    }

    private static async Task<Results<Ok<MyUsageResponse>, ProblemHttpResult>> GetUsage(
        HttpContext context, int? days, UsageStore store, TimeProvider clock, CancellationToken ct)
    {
        if (days is < 1 or > 366)
        {
            return ApiKeyRequests.Invalid("days", "days must be between 1 and 366.");
        }
        var tenantId = PortalSessionFilter.User(context).TenantId;
        var end = clock.GetUtcNow();
        var start = end.AddDays(-(days ?? 30));
        var rows = await store.AggregateAsync(tenantId, start, end, ct);
        var keys = await store.KeyStatsAsync(tenantId, start, end, ct);
        var latency = await store.LatencyByDayAsync(tenantId, start, end, ct);
        return TypedResults.Ok(new MyUsageResponse(tenantId, start, end, rows, keys, latency));
    }
}
