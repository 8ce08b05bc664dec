using System.Text.Json;
using StackExchange.Redis;

namespace Platform.Services.Scheduler.Pool;

/// <summary>Publishes the consumer admission share and pool events to Redis.</summary>
public sealed class PoolEvents(IConnectionMultiplexer redis)
{
    /// <summary>Key the gateway reads the consumer admission share from.</summary>
    public const string AdmissionKey = "pool:admission:consumer";

    /// <summary>Pub/sub channel of placement, preemption, release and drain events.</summary>
    public const string Channel = "pool:events";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes the share with a TTL, so a stopped scheduler's share expires instead of lingering.</summary>
    public Task PublishAdmissionAsync(PublishedShare share, TimeSpan ttl) =>
        redis.GetDatabase().StringSetAsync(AdmissionKey, JsonSerializer.Serialize(share, s_json), ttl);

    /// <summary>Publishes one event on <see cref="Channel"/>.</summary>
    public Task PublishAsync(PoolEvent evt) =>
        redis.GetSubscriber().PublishAsync(RedisChannel.Literal(Channel), JsonSerializer.Serialize(evt, s_json));
}

/// <summary>The consumer admission share as the gateway reads it.</summary>
public sealed record PublishedShare(double Fraction, long AdmissibleKvTokens, DateTimeOffset ComputedAt, int ConsumerReplicas, long ReservedForEnterpriseBytes);

/// <summary>An event on <c>pool:events</c>: <c>placed</c>, <c>preempt</c>, <c>released</c>, <c>requeued</c>, <c>node-drained</c>, <c>node-registered</c>.</summary>
public sealed record PoolEvent(string Type, string? WorkloadId, string? NodeId, IReadOnlyList<string>? DeviceIds, string? Reason, DateTimeOffset At);
