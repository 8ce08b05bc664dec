using System.Text.Json;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Platform.Ingestion.Pipeline;

/// <summary>Publishes <see cref="IngestionEvent"/>s on Redis; a failed publish is logged, never fatal to a job.</summary>
public sealed class IngestionEvents(IConnectionMultiplexer redis, ILogger<IngestionEvents> logger)
{
    public async Task PublishAsync(Guid tenantId, IngestionEvent e)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(IngestionEvent.Channel(tenantId)), JsonSerializer.Serialize(e));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Could not publish ingestion event {EventType} for document {DocumentId}", e.Type, e.DocumentId);
        }
    }
}
