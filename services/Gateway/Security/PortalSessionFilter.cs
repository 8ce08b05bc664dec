using Platform.Contracts;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Security;

/// <summary>Requires a live portal session (Authorization: Bearer ps_…); 401 otherwise.</summary>
public sealed class PortalSessionFilter(PortalSessions sessions) : IEndpointFilter
{
    private const string UserItem = "platform.portal.user";
    private const string TokenItem = "platform.portal.token";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : "";
        SessionUser? user;
        try
        {
            user = token.Length > 0 ? await sessions.ResolveAsync(token) : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Sessions live in Redis: while it is unreachable nobody can be told "signed out" truthfully.
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Sessions unavailable",
                detail: "Portal sessions cannot be checked right now (the session store is unreachable). Retry shortly.");
        }
        if (user is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "Sign in again: the portal session is missing or has expired.");
        }
        context.HttpContext.Items[UserItem] = user;
        context.HttpContext.Items[TokenItem] = token;
        return await next(context);
    }

    public static SessionUser User(HttpContext context) => (SessionUser)context.Items[UserItem]!;

    public static string? Token(HttpContext context) => context.Items[TokenItem] as string;
}
