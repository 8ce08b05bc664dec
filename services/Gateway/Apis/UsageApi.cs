using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// Usage totals of any tenant for the platform admin (bearer admin token): one row per day (UTC),
/// model and key. People see their own tenant's through /api/me/usage.
/// </summary>
public static class UsageApi
{
    private static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    public static RouteGroupBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/usage").AddEndpointFilter<AdminTokenFilter>();
        api.MapGet("/", GetUsage);
        return api;
    }

    private static async Task<Results<Ok<UsageResponse>, ProblemHttpResult>> GetUsage(
        Guid? tenantId, DateTimeOffset? from, DateTimeOffset? to, UsageStore store, TenantStore tenants, TimeProvider clock, CancellationToken ct)
    {
        if (tenantId is null || tenantId == Guid.Empty)
        {
            return Invalid("tenantId", "tenantId is required (the tenant whose usage to sum).");
        }
        var end = to ?? clock.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        if (start >= end || end - start > MaxRange)
        {
            return Invalid("from", "from must be before to, at most 366 days apart.");
        }
        if (await tenants.GetTenantAsync(tenantId.Value, ct) is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such tenant.");
        }
        var rows = await store.AggregateAsync(tenantId.Value, start, end, ct);
        return TypedResults.Ok(new UsageResponse(tenantId.Value, start, end, rows));
    }

    private static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: message,
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
