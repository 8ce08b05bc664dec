using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Admission against every limit in one Redis script (so all replicas enforce one limit), lease
/// release with token reconciliation, and lease renewal. When Redis fails, consumer traffic fails
/// closed and enterprise traffic falls back to <see cref="LocalLimiter"/>.
/// </summary>
public sealed class SessionThrottle(
    IConnectionMultiplexer redis,
    ConsumerShareMonitor share,
    LocalLimiter local,
    ThrottleHealth health,
    IOptions<GatewayOptions> options,
    TimeProvider clock,
    ILogger<SessionThrottle> logger)
{
    private int LeaseMs => options.Value.Throttling.LeaseSeconds * 1000;

    /// <param name="tokens">Tokens to reserve (prompt estimate + max completion tokens); 0 for routes that generate none.</param>
    /// <param name="sessionId">The chat session, counted against a consumer tenant's open-session cap.</param>
    public async Task<Admission> AdmitAsync(ApiKeyRecord key, int tokens, string? sessionId)
    {
        tokens = Math.Min(tokens, Math.Min(key.Limits.TokensPerMinute, key.Plan.TokensPerMinute));
        var leaseId = Guid.NewGuid().ToString("N");
        var poolLimit = key.IsConsumer ? share.ConsumerSlots : -1;
        RedisResult result;
        try
        {
            var arguments = KeyScriptArguments.For(key.KeyId, key.TenantId);
            result = await LuaScripts.Admit.EvaluateAsync(redis.GetDatabase(), arguments.Admit,
                [
                    clock.GetUtcNow().ToUnixTimeMilliseconds(), leaseId, arguments.Tenant,
                    key.Limits.RequestsPerMinute, key.Plan.RequestsPerMinute,
                    key.Limits.TokensPerMinute, key.Plan.TokensPerMinute,
                    key.Limits.MaxConcurrent, key.Plan.MaxConcurrent,
                    tokens, LeaseMs, poolLimit,
                    key.IsConsumer ? sessionId ?? "" : "", key.Plan.MaxSessions, key.Plan.SessionIdleSeconds * 1000L,
                    key.Plan.QueueWeight,
                ]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            health.RecordFailure();
            if (key.IsConsumer)
            {
                logger.LogWarning("Refusing consumer traffic: the shared limiter is unreachable ({Error})", e.Message);
                return new Admission(AdmissionOutcome.Unavailable, "limiter_unavailable", TimeSpan.FromSeconds(5), null, null);
            }
            return local.Admit(key, tokens);
        }
        var r = (RedisResult[])result!;
        var limits = new RateLimitSnapshot((long)r[3], (long)r[4], TimeSpan.FromMilliseconds((long)r[5]),
            (long)r[6], (long)r[7], TimeSpan.FromMilliseconds((long)r[8]));
        var reason = (string)r[1]!;
        var retry = TimeSpan.FromMilliseconds(Math.Max(0, (long)r[2]));
        if ((long)r[0] == 1)
        {
            return new Admission(AdmissionOutcome.Ok, reason, TimeSpan.Zero, limits, new Lease(leaseId, key, tokens, Local: false));
        }
        return new Admission(reason == "pool" ? AdmissionOutcome.OverShare : AdmissionOutcome.Limited, reason, retry, limits, null);
    }

    /// <summary>Frees the lease's slots and returns (or charges) the difference between reserved and used tokens.</summary>
    public async Task ReleaseAsync(Lease lease, int usedTokens)
    {
        if (lease.Local)
        {
            local.Release(lease);
            return;
        }
        var key = lease.Key;
        var refund = lease.ReservedTokens > 0 || usedTokens > 0 ? lease.ReservedTokens - usedTokens : 0;
        try
        {
            var arguments = KeyScriptArguments.For(key.KeyId, key.TenantId);
            await LuaScripts.Release.EvaluateAsync(redis.GetDatabase(), arguments.Release,
                [
                    clock.GetUtcNow().ToUnixTimeMilliseconds(), lease.Id, arguments.Tenant, refund,
                    key.Limits.TokensPerMinute, key.Plan.TokensPerMinute,
                ]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            health.RecordFailure();
            logger.LogWarning("Lease {LeaseId} not released ({Error}); it expires with its TTL", lease.Id, e.Message);
        }
    }

    /// <summary>Extends a live lease by another lease period.</summary>
    public Task RenewAsync(Lease lease)
    {
        var key = lease.Key;
        var arguments = KeyScriptArguments.For(key.KeyId, key.TenantId);
        return LuaScripts.Renew.EvaluateAsync(redis.GetDatabase(), arguments.Renew,
            [clock.GetUtcNow().ToUnixTimeMilliseconds() + LeaseMs, lease.Id, arguments.Tenant, LeaseMs]);
    }
}
