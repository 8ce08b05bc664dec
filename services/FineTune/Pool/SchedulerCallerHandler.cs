using Platform.ServiceDefaults.Identity;

namespace Platform.Services.FineTune.Pool;

/// <summary>
/// Signs a call to the Scheduler like the gateway does, as this service's worker acting for the job's
/// tenant (set per request with <see cref="ForTenant"/>). The worker runs outside any request, so there
/// is no caller to forward: the identity is the service's own, with no scopes.
/// </summary>
public sealed class SchedulerCallerHandler(InternalSecret secret, TimeProvider time) : DelegatingHandler
{
    /// <summary>The principal the scheduler sees.</summary>
    public const string Principal = "service:finetune-worker";

    private static readonly HttpRequestOptionsKey<Guid> TenantKey = new("platform.tenant");

    /// <summary>Marks <paramref name="request"/> as made for <paramref name="tenantId"/>.</summary>
    public static HttpRequestMessage ForTenant(HttpRequestMessage request, Guid tenantId)
    {
        request.Options.Set(TenantKey, tenantId);
        return request;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(TenantKey, out var tenant))
        {
            throw new InvalidOperationException("A call to the scheduler must name the tenant it is made for.");
        }
        var caller = new CallerIdentity(tenant, "internal", Principal, [], null, "batch", "");
        var headers = new Dictionary<string, string>();
        CallerHeaders.Write(headers, caller, request.Method.Method, request.RequestUri!.AbsolutePath, secret.Bytes, time.GetUtcNow());
        foreach (var (name, value) in headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
