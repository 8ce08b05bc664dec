using System.Text.Json;
using Platform.Contracts;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Data;

/// <summary>
/// Ends every live portal session of one user (after a role change, disable or delete). Sessions are
/// keyed by a hash of their token with no index by user, so this scans the session keys (SCAN, in
/// pages, on every primary) and deletes those whose stored user is this one: O(live sessions), fine
/// for admin actions.
/// </summary>
public sealed class UserSessionSweeper(IConnectionMultiplexer redis)
{
    // Must match Security/PortalSessions: "portal:session:" + SHA-256(token), value = SessionUser JSON.
    private const string SessionKeys = "portal:session:*";
    private const int PageSize = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Deletes the user's sessions; returns how many were ended.</summary>
    public async Task<int> EndSessionsAsync(Guid userId)
    {
        var db = redis.GetDatabase();
        var ended = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }
            var page = new List<RedisKey>(PageSize);
            await foreach (var key in server.KeysAsync(db.Database, SessionKeys, PageSize))
            {
                page.Add(key);
                if (page.Count == PageSize)
                {
                    ended += await EndMatchingAsync(db, page, userId);
                    page.Clear();
                }
            }
            ended += await EndMatchingAsync(db, page, userId);
        }
        return ended;
    }

    private static async Task<int> EndMatchingAsync(IDatabase db, List<RedisKey> keys, Guid userId)
    {
        var values = await Task.WhenAll(keys.Select(k => db.StringGetAsync(k)));
        var mine = keys.Where((_, i) => BelongsTo(values[i], userId)).ToArray();
        return mine.Length == 0 ? 0 : (int)await db.KeyDeleteAsync(mine);
    }

    private static bool BelongsTo(RedisValue value, Guid userId)
    {
        if (value.IsNullOrEmpty)
        {
            return false; // expired between SCAN and GET
        }
        try
        {
            return JsonSerializer.Deserialize<SessionUser>(value.ToString(), Json)?.Id == userId;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
