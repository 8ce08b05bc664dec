using System.Collections.Concurrent;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Policy;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Lets a portal session stand where an API key would on proxied routes: the person's tenant, its
/// plan's limits, scopes from the role (platform admins get every scope; tenant admins and members
/// the service scopes, with the role forwarded so services can tell them apart, e.g. only tenant
/// admins create fine-tuning jobs), and the role itself in the forwarded identity.
/// </summary>
public sealed class SessionPrincipals(PortalSessions sessions, KeyLookup lookup, TimeProvider clock)
{
    private static readonly TimeSpan PlanCacheTime = TimeSpan.FromSeconds(30);
    private static readonly IReadOnlyList<string> ServiceScopes = [Scopes.Inference, Scopes.Rag, Scopes.Ingest, Scopes.FineTune];
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Until, string Tier, PlanLimits Plan)> _plans = new();

    public async ValueTask<ApiKeyRecord?> AuthenticateAsync(string token, CancellationToken ct)
    {
        var user = await sessions.ResolveAsync(token);
        if (user is null)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        if (!_plans.TryGetValue(user.TenantId, out var plan) || plan.Until < now)
        {
            if (await lookup.FindTenantAsync(user.TenantId, ct) is not { } found)
            {
                return null; // the tenant was deleted while the session lived
            }
            plan = (now + PlanCacheTime, found.Tier, found.Plan);
            _plans[user.TenantId] = plan;
        }
        var scopes = user.Role == UserRoles.PlatformAdmin ? Scopes.All : ServiceScopes;
        return new ApiKeyRecord("user:" + user.Id, user.TenantId, plan.Tier, [], scopes, null, null, plan.Plan,
            KeyLimits.Narrow(plan.Plan, null, null, null)) { Role = user.Role };
    }
}
