using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Policy;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Reads the Scheduler's consumer admission share from Redis once a second. Until one is published
/// (or when it is malformed) <see cref="ThrottlingOptions.DefaultConsumerShare"/> applies.
/// </summary>
public sealed class ConsumerShareMonitor(
    IConnectionMultiplexer redis, ThrottleHealth health, IOptions<GatewayOptions> options, ILogger<ConsumerShareMonitor> logger)
    : BackgroundService
{
    private double _fraction = options.Value.Throttling.DefaultConsumerShare;
    private string? _lastMalformed;

    public double Fraction => Volatile.Read(ref _fraction);

    /// <summary>Concurrent consumer requests admitted across all replicas right now.</summary>
    public int ConsumerSlots => AdmissionShare.ConsumerSlots(Fraction, options.Value.Throttling.PoolConcurrency);

    public async Task RefreshAsync()
    {
        var raw = await redis.GetDatabase().StringGetAsync(AdmissionShare.RedisKey);
        var text = raw.IsNull ? null : raw.ToString();
        var parsed = AdmissionShare.Parse(text);
        if (parsed is null && text is not null && text != _lastMalformed)
        {
            _lastMalformed = text;
            logger.LogWarning("Ignoring malformed {Key}; using the default consumer share {Share}", AdmissionShare.RedisKey, options.Value.Throttling.DefaultConsumerShare);
        }
        Volatile.Write(ref _fraction, parsed ?? options.Value.Throttling.DefaultConsumerShare);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            try
            {
                await RefreshAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // RedisTimeoutException is a TimeoutException, not a RedisException: a hung Redis must not end
                // this service (the host's default StopHost would take enterprise traffic down with it).
                // Consumer traffic is refused while Redis is down; the last known share stays for when it returns.
                health.RecordFailure();
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
