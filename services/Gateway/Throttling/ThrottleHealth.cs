using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Degraded while the shared limiter is unreachable: consumer traffic is refused (fail closed) and
/// enterprise traffic runs on each replica's local limiter. Never "healthy and unthrottled".
/// </summary>
public sealed class ThrottleHealth(IConnectionMultiplexer redis, TimeProvider clock) : IHealthCheck
{
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(5);
    private long _lastFailure = long.MinValue;

    public void RecordFailure() => Interlocked.Exchange(ref _lastFailure, clock.GetTimestamp());

    public bool RecentlyFailed
    {
        get
        {
            var last = Interlocked.Read(ref _lastFailure);
            return last != long.MinValue && clock.GetElapsedTime(last) < Memory;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!redis.IsConnected || RecentlyFailed
            ? HealthCheckResult.Degraded("Redis is unreachable: consumer traffic is refused (503), enterprise traffic runs on a local conservative limiter.")
            : HealthCheckResult.Healthy("shared limiter reachable"));
}
