using System.Text.Json;
using Platform.Rag;
using StackExchange.Redis;

namespace Platform.Services.Rag;

/// <summary>A cached answer.</summary>
public sealed record CachedAnswer(string Text, string FinishReason);

/// <summary>
/// The opt-in answer cache in Redis (<see cref="LlmCacheKey"/>). Best effort: Redis being down makes
/// every lookup a miss and every store a no-op, never a failed answer.
/// </summary>
public sealed class LlmCache(IConnectionMultiplexer redis, ILogger<LlmCache> logger)
{
    public static string KeyFor(Guid tenant, PreparedAnswer prepared) =>
        LlmCacheKey.Compute(tenant, prepared.Model, prepared.Prompt, prepared.MaxTokens, prepared.Temperature, prepared.TopP, prepared.Seed);

    public async Task<CachedAnswer?> GetAsync(string key)
    {
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(key);
            return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<CachedAnswer>(value.ToString());
        }
        catch (Exception e) when (e is RedisException or JsonException)
        {
            logger.LogWarning(e, "LLM cache lookup failed; answering without the cache");
            return null;
        }
    }

    public async Task SetAsync(string key, CachedAnswer answer, int ttlSeconds)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(key, JsonSerializer.Serialize(answer), TimeSpan.FromSeconds(ttlSeconds));
        }
        catch (RedisException e)
        {
            logger.LogWarning(e, "LLM cache store failed");
        }
    }
}
