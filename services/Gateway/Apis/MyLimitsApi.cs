using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;
using Platform.Services.Gateway.Throttling;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// The signed-in person's tenant: its plan and how much of each limit is in use now, read (never
/// written) from the limiter's Redis keys (<see cref="ThrottleKeys"/>, scripts in Throttling/Scripts).
/// </summary>
public static class MyLimitsApi
{
    private const long WindowMs = 60_000;

    public static IEndpointRouteBuilder MapMyLimitsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me/limits", GetLimits).AddEndpointFilter<PortalSessionFilter>();
        return app;
    }

    private static async Task<Results<Ok<MyLimitsResponse>, ProblemHttpResult>> GetLimits(
        HttpContext context, TenantStore tenants, PlanStore plans, IConnectionMultiplexer redis, TimeProvider clock, CancellationToken ct)
    {
        var tenantId = PortalSessionFilter.User(context).TenantId;
        var tenant = await tenants.GetTenantAsync(tenantId, ct);
        var plan = tenant is null ? null : (await plans.ListAsync(ct)).FirstOrDefault(p => p.Name == tenant.Plan);
        if (plan is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "The tenant or its plan no longer exists.");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var db = redis.GetDatabase();
        var requests = db.SortedSetLengthAsync(ThrottleKeys.RequestsOfTenant(tenantId), now - WindowMs, double.PositiveInfinity, Exclude.Start);
        var bucket = db.HashGetAsync(ThrottleKeys.TokensOfTenant(tenantId), ["l", "t"]);
        var inFlight = db.SortedSetLengthAsync(ThrottleKeys.LeasesOfTenant(tenantId), now, double.PositiveInfinity, Exclude.Start);
        var sessions = db.SortedSetLengthAsync(ThrottleKeys.SessionsOfTenant(tenantId), now, double.PositiveInfinity, Exclude.Start);
        try
        {
            await Task.WhenAll(requests, bucket, inFlight, sessions);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Limiter unavailable",
                detail: "The shared rate limiter is unreachable, so the limits in use cannot be read now. Retry shortly.");
        }
        return TypedResults.Ok(new MyLimitsResponse(tenantId, plan.Name,
        [
            new LimitInUse("requests_per_minute", plan.RequestsPerMinute, await requests),
            new LimitInUse("tokens_per_minute", plan.TokensPerMinute, TokensInUse(await bucket, plan.TokensPerMinute, now)),
            new LimitInUse("concurrent_requests", plan.MaxConcurrent, await inFlight),
            new LimitInUse("sessions", plan.MaxSessions, await sessions),
        ]));
    }

    /// <summary>The token bucket holds its level at a time and refills at cap per minute (admit.lua): in use = cap − level now.</summary>
    public static long TokensInUse(RedisValue[] state, long cap, long nowMs)
    {
        if (state.Length < 2 || state[0].IsNull || state[1].IsNull
            || !double.TryParse(state[0].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var level)
            || !double.TryParse(state[1].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var at))
        {
            return 0;
        }
        var refilled = Math.Min(cap, level + (nowMs - at) * cap / WindowMs);
        return Math.Max(0, (long)Math.Ceiling(cap - refilled));
    }
}
