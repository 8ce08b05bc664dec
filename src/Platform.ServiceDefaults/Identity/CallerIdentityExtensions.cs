using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults.Identity;

public static class CallerIdentityExtensions
{
    /// <summary>
    /// Verifies the gateway's signed identity headers on every request (Platform:InternalSecret) and
    /// makes the result available through <see cref="GetCaller"/>. Without a configured secret no
    /// request is ever authenticated (fail closed).
    /// </summary>
    public static WebApplicationBuilder AddCallerIdentity(this WebApplicationBuilder builder)
    {
        var secret = Encoding.UTF8.GetBytes(builder.Configuration["Platform:InternalSecret"] ?? "");
        builder.Services.AddSingleton(new InternalSecret(secret));
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static WebApplication UseCallerIdentity(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var secret = context.RequestServices.GetRequiredService<InternalSecret>();
            var clock = context.RequestServices.GetRequiredService<TimeProvider>();
            var caller = CallerHeaders.Read(context.Request.Headers, context.Request.Method, context.Request.Path.Value ?? "/", secret.Bytes, clock.GetUtcNow());
            if (caller is not null)
            {
                context.Features.Set(caller);
            }
            await next(context);
        });
        return app;
    }

    public static CallerIdentity? GetCaller(this HttpContext context) => context.Features.Get<CallerIdentity>();

    /// <summary>
    /// 401 without a verified caller, 403 without <paramref name="scope"/>. Errors use OpenAI's
    /// shape under /v1 and ProblemDetails elsewhere.
    /// </summary>
    public static TBuilder RequireCaller<TBuilder>(this TBuilder builder, string? scope = null) where TBuilder : IEndpointConventionBuilder =>
        scope is null ? builder.RequireCallerWithAnyScope() : builder.RequireCallerWithAnyScope(scope);

    /// <summary>
    /// 401 without a verified caller, 403 when it has none of <paramref name="scopes"/> (no check when none are
    /// given). Errors use OpenAI's shape under /v1 and ProblemDetails elsewhere.
    /// </summary>
    public static TBuilder RequireCallerWithAnyScope<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var caller = ctx.HttpContext.GetCaller();
            if (caller is null)
            {
                return ErrorResults.For(ctx.HttpContext, StatusCodes.Status401Unauthorized, "authentication_error",
                    "This service is reached through the gateway with an API key or a portal session.");
            }
            if (scopes.Length > 0 && !scopes.Any(caller.HasScope))
            {
                return ErrorResults.For(ctx.HttpContext, StatusCodes.Status403Forbidden, "permission_error",
                    $"The caller lacks the {string.Join(" or ", scopes.Select(s => $"'{s}'"))} scope.");
            }
            return await next(ctx);
        });
}

/// <summary>The shared service-to-service secret (Platform:InternalSecret).</summary>
public sealed record InternalSecret(byte[] Bytes);
