using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Renews the leases of this replica's in-flight requests every third of the lease period, so a
/// long stream keeps its slot while a crashed replica's leases simply expire.
/// </summary>
public sealed class LeaseRenewer(SessionThrottle throttle, IOptions<GatewayOptions> options, ILogger<LeaseRenewer> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Lease> _live = new(StringComparer.Ordinal);

    public void Track(Lease lease)
    {
        if (!lease.Local)
        {
            _live[lease.Id] = lease;
        }
    }

    public void Forget(Lease lease) => _live.TryRemove(lease.Id, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.Throttling.LeaseSeconds / 3.0));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var renewals = _live.Values.Select(throttle.RenewAsync).ToList();
            try
            {
                await Task.WhenAll(renewals);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning("Lease renewal failed for some of {Count} leases: {Error}", renewals.Count, e.Message);
            }
        }
    }
}
