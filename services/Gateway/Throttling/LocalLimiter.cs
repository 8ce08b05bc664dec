using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Enterprise traffic's limiter while Redis is unreachable: per replica, per tenant, at
/// <see cref="ThrottlingOptions.LocalFallbackFraction"/> of the plan's requests per minute and
/// concurrency (at least one of each), so N replicas stay near the plan without sharing state.
/// </summary>
public sealed class LocalLimiter(IOptions<GatewayOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<Guid, TenantState> _tenants = [];

    public Admission Admit(ApiKeyRecord key, int tokens)
    {
        var fraction = options.Value.Throttling.LocalFallbackFraction;
        var rpm = Math.Max(1, (int)(key.Limits.RequestsPerMinute * fraction));
        var concurrency = Math.Max(1, (int)(key.Limits.MaxConcurrent * fraction));
        var now = clock.GetUtcNow();
        lock (_tenants)
        {
            if (!_tenants.TryGetValue(key.TenantId, out var state))
            {
                _tenants[key.TenantId] = state = new TenantState();
            }
            while (state.Admitted.Count > 0 && now - state.Admitted.Peek() >= Window)
            {
                state.Admitted.Dequeue();
            }
            var reset = state.Admitted.Count > 0 ? state.Admitted.Peek() + Window - now : TimeSpan.Zero;
            var limits = new RateLimitSnapshot(rpm, Math.Max(0, rpm - state.Admitted.Count - 1), reset,
                key.Limits.TokensPerMinute, key.Limits.TokensPerMinute, TimeSpan.Zero);
            if (state.Admitted.Count >= rpm)
            {
                return new Admission(AdmissionOutcome.Limited, "requests", reset, limits with { RequestsRemaining = 0 }, null);
            }
            if (state.InFlight >= concurrency)
            {
                return new Admission(AdmissionOutcome.Limited, "concurrency", TimeSpan.FromSeconds(1), limits, null);
            }
            state.Admitted.Enqueue(now);
            state.InFlight++;
            return new Admission(AdmissionOutcome.Ok, "ok", TimeSpan.Zero, limits, new Lease(Guid.NewGuid().ToString("N"), key, tokens, Local: true));
        }
    }

    public void Release(Lease lease)
    {
        lock (_tenants)
        {
            if (_tenants.TryGetValue(lease.Key.TenantId, out var state) && state.InFlight > 0)
            {
                state.InFlight--;
            }
        }
    }

    private sealed class TenantState
    {
        public Queue<DateTimeOffset> Admitted { get; } = new();
        public int InFlight { get; set; }
    }
}
