using Microsoft.Extensions.Options;
using Platform.Contracts;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Guards the platform-admin API (<c>/api/tenants</c>, <c>/api/users</c>): either the bootstrap admin
/// token (Gateway:AdminToken, compared in constant time) or the portal session (<c>ps_…</c>) of a
/// signed-in platform_admin. A session of anyone else gets 403; no credential gets 401.
/// </summary>
public sealed class PlatformAdminFilter(IOptions<GatewayOptions> options, PortalSessions sessions, ILogger<PlatformAdminFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (presented.StartsWith(PortalSessions.TokenPrefix, StringComparison.Ordinal))
        {
            return await SessionAsync(context, next, presented.Trim());
        }
        var configured = options.Value.AdminToken;
        if (string.IsNullOrEmpty(configured) || !AdminTokenFilter.FixedTimeEquals(configured, presented))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "This endpoint needs the platform admin token, or a platform admin's portal session, as a Bearer token.");
        }
        return await next(context);
    }

    private async ValueTask<object?> SessionAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, string token)
    {
        SessionUser? user;
        try
        {
            user = await sessions.ResolveAsync(token);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Sessions unavailable",
                detail: "Portal sessions cannot be checked right now (the session store is unreachable). Retry shortly, or use the admin token.");
        }
        if (user is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "Sign in again: the portal session is missing or has expired.");
        }
        if (user.Role != UserRoles.PlatformAdmin)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "Only platform admins use this API; tenant admins manage their own tenant's users under /api/me/users.");
        }
        logger.LogInformation("Platform admin {UserId} calls {Method} {Path}", user.Id, context.HttpContext.Request.Method, context.HttpContext.Request.Path);
        return await next(context);
    }
}
