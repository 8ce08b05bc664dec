using StackExchange.Redis;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Redis pub/sub that tells every gateway replica to drop a key from its cache (revoke, rotate) or all
/// keys (a plan or tenant change). A replica whose connection drops clears its whole cache when the
/// connection returns, since messages sent meanwhile are lost.
/// </summary>
public sealed class KeyInvalidationBus(IConnectionMultiplexer redis, ApiKeyCache cache, ILogger<KeyInvalidationBus> logger) : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("gateway:keys:invalidate");
    private const string All = "*";

    private int _subscribed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        await SubscribeAsync();
    }

    private async Task SubscribeAsync()
    {
        if (Interlocked.CompareExchange(ref _subscribed, 1, 0) != 0)
        {
            return;
        }
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
            {
                if (message == All)
                {
                    cache.InvalidateAll();
                }
                else if (!message.IsNullOrEmpty)
                {
                    cache.Invalidate(message.ToString());
                }
            });
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Retried when the connection comes back; until then the cache runs on its short disconnected TTL.
            Interlocked.Exchange(ref _subscribed, 0);
            logger.LogWarning(e, "Could not subscribe to key invalidations; Redis is unreachable");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    /// <summary>Evicts locally at once, then tells the other replicas.</summary>
    public async Task PublishAsync(string keyId)
    {
        cache.Invalidate(keyId);
        await PublishOrLogAsync(keyId);
    }

    public async Task PublishAllAsync()
    {
        cache.InvalidateAll();
        await PublishOrLogAsync(All);
    }

    private async Task PublishOrLogAsync(string message)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Key invalidation {Message} not published; other replicas drop the entry when it expires from their cache (Gateway:KeyCacheSeconds, 5 s while disconnected)", message);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        cache.InvalidateAll();
        _ = SubscribeAsync();
    }
}
