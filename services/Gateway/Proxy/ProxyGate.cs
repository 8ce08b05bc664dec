using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Gateway.Metering;
using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;
using Platform.Services.Gateway.Throttling;
using Yarp.ReverseProxy.Model;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// What every proxied request passes before YARP forwards it: API-key authentication and scope,
/// body inspection (400/413), admission (429/503, x-ratelimit-* headers), then — around the
/// forwarding itself — lease renewal, usage metering and the lease's release with the real token count.
/// A public route (the portal, <see cref="ProxyRoutes.IsPublic"/>) passes straight through: no key, no limits, no usage.
/// </summary>
public sealed class ProxyGate(
    ApiKeyAuthenticator authenticator,
    CallerFactory callers,
    SessionThrottle throttle,
    FairQueue queue,
    LeaseRenewer renewer,
    UsageRecorder usage,
    IOptions<GatewayOptions> options,
    TimeProvider clock,
    ILogger<ProxyGate> logger)
{
    public const string SessionHeader = "X-Session-Id";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var started = clock.GetTimestamp();
        var route = context.GetReverseProxyFeature().Route.Config;
        if (ProxyRoutes.IsPublic(route))
        {
            await next();
            return;
        }
        if (!callers.IsConfigured)
        {
            logger.LogError("Platform:InternalSecret is not set; the gateway cannot sign identities and refuses to proxy");
            await ProxyErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "service_unavailable",
                "The gateway is not configured to reach services (Platform:InternalSecret is missing).");
            return;
        }
        ApiKeyRecord? key;
        try
        {
            key = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            // A portal session token is checked in Redis; a hung or lost Redis is a 503, not a 500.
            logger.LogWarning(e, "Caller credentials could not be checked");
            await ProxyErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "service_unavailable",
                "Sign-in sessions cannot be checked right now; try again shortly.");
            return;
        }
        if (key is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ProxyErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "invalid_request_error", ProxyErrors.Unauthenticated, "invalid_api_key");
            return;
        }
        var scope = route.Metadata?.GetValueOrDefault(ProxyRoutes.ScopeKey) ?? "";
        if (!key.Scopes.Contains(scope, StringComparer.Ordinal))
        {
            await ProxyErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "permission_error", $"This API key lacks the '{scope}' scope.", "insufficient_scope");
            return;
        }

        var facts = RequestFacts.None;
        if (route.Metadata?.GetValueOrDefault(ProxyRoutes.InspectKey) == "true" && HttpMethods.IsPost(context.Request.Method))
        {
            var body = await RequestBody.InspectAsync(context.Request, options.Value.MaxRequestBodyBytes, options.Value.Throttling.DefaultMaxTokens, context.RequestAborted);
            if (body.Facts is null)
            {
                await ProxyErrors.WriteAsync(context, body.Status, "invalid_request_error", body.Error!);
                return;
            }
            facts = body.Facts;
        }
        else if (context.Request.ContentLength > options.Value.MaxUploadBytes)
        {
            await ProxyErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "invalid_request_error",
                $"The request body is over the gateway's upload limit of {options.Value.MaxUploadBytes} bytes.");
            return;
        }
        else if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // A chunked upload has no declared length: Kestrel stops it at the same limit while it streams.
            limit.MaxRequestBodySize = options.Value.MaxUploadBytes;
        }
        var sessionId = context.Request.Headers[SessionHeader].ToString() is { Length: > 0 and <= 200 } header ? header : facts.SessionId;
        if (sessionId is not null)
        {
            context.Items[SessionAffinityPolicy.SessionItem] = sessionId;
        }
        if (facts.Model.Length > 0)
        {
            context.Items[SessionAffinityPolicy.ModelItem] = facts.Model;
        }

        var admission = await throttle.AdmitAsync(key, facts.ReservedTokens, sessionId);
        if (admission.Outcome == AdmissionOutcome.OverShare)
        {
            admission = await queue.WaitAsync(key, () => throttle.AdmitAsync(key, facts.ReservedTokens, sessionId), context.RequestAborted) ?? admission;
        }
        admission.Limits?.WriteTo(context.Response.Headers);
        if (admission.Lease is not { } lease)
        {
            // Refusals are metered too, so a tenant sees its 429s (and 503s) per key.
            var refused = admission.Outcome == AdmissionOutcome.Unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status429TooManyRequests;
            await usage.RecordAsync(new UsageRecord(
                Guid.CreateVersion7(), key.TenantId, key.KeyId, route.RouteId, facts.Model, refused, 0, 0, UsageSources.None,
                clock.GetElapsedTime(started).TotalMilliseconds, clock.GetUtcNow()));
            await RefuseAsync(context, admission);
            return;
        }

        context.Features.Set(callers.For(key));
        renewer.Track(lease);
        var original = context.Response.Body;
        var tap = new MeteringStream(original, () => new UsageScanner(IsEventStream(context.Response.ContentType)));
        context.Response.Body = tap;
        try
        {
            await next();
        }
        catch
        {
            await FinishAsync(context, key, lease, tap, original, facts, route.RouteId, started, completeFirst: false);
            throw;
        }
        await FinishAsync(context, key, lease, tap, original, facts, route.RouteId, started, completeFirst: true);
    }

    /// <summary>
    /// Ends a forwarded request. The lease's release (with the tokens actually used) is sent to Redis first, so
    /// any later admission on this replica's connection sees it; then the client gets the end of its response
    /// (a stream's final chunk waits for no round trip); then the release is awaited and the usage recorded.
    /// </summary>
    private async Task FinishAsync(HttpContext context, ApiKeyRecord key, Lease lease, MeteringStream tap, Stream original,
        RequestFacts facts, string routeId, long started, bool completeFirst)
    {
        context.Response.Body = original;
        renewer.Forget(lease);
        var result = tap.Scanner is { } scanner ? scanner.Complete(facts.PromptTokens) : new UsageResult(facts.Model, 0, 0, UsageSources.None);
        var status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
        var used = result.Source == UsageSources.None
            ? (status < 400 ? facts.ReservedTokens : 0)
            : result.PromptTokens + result.CompletionTokens;
        var release = throttle.ReleaseAsync(lease, used);
        if (completeFirst && status != 499)
        {
            try
            {
                await context.Response.CompleteAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                status = 499;
            }
        }
        await release;
        await usage.RecordAsync(new UsageRecord(
            Guid.CreateVersion7(), key.TenantId, key.KeyId, routeId,
            result.Model.Length > 0 ? result.Model : facts.Model,
            status, result.PromptTokens, result.CompletionTokens, result.Source,
            clock.GetElapsedTime(started).TotalMilliseconds, clock.GetUtcNow()));
    }

    private static Task RefuseAsync(HttpContext context, Admission admission)
    {
        context.Response.Headers.RetryAfter = RateLimitSnapshot.RetryAfterSeconds(admission.RetryAfter);
        if (admission.Outcome == AdmissionOutcome.Unavailable)
        {
            return ProxyErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "service_unavailable",
                "Consumer traffic is paused: the gateway's shared rate limiter is unreachable. Retry shortly.", "limiter_unavailable");
        }
        var message = admission.Reason switch
        {
            "requests" => "Rate limit reached for requests per minute.",
            "tokens" => "Rate limit reached for tokens per minute.",
            "concurrency" => "Too many concurrent requests for this key or tenant.",
            "sessions" => "Too many open chat sessions for this tenant; finish one or wait for it to go idle.",
            _ => "The platform is at its capacity for consumer traffic right now.",
        };
        return ProxyErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, "rate_limit_error",
            message + $" Retry after {RateLimitSnapshot.RetryAfterSeconds(admission.RetryAfter)} s.", "rate_limit_exceeded");
    }

    private static bool IsEventStream(string? contentType) =>
        contentType is not null && contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
}
