using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Contracts;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Portal sessions in Redis: an opaque token (ps_…) maps to the signed-in user for
/// <see cref="Lifetime"/>, renewed on use. Only SHA-256 of the token is a key, so a Redis dump does
/// not reveal live tokens. Failed sign-ins are counted per email; after <see cref="MaxFailures"/>
/// within <see cref="LockoutWindow"/> the account is locked for the rest of the window.
/// </summary>
public sealed class PortalSessions(IConnectionMultiplexer redis, TimeProvider clock)
{
    public const string TokenPrefix = "ps_";
    public const int MaxFailures = 5;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    public static readonly TimeSpan LockoutWindow = TimeSpan.FromMinutes(15);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<LoginResponse> CreateAsync(SessionUser user)
    {
        var token = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await redis.GetDatabase().StringSetAsync(Key(token), JsonSerializer.Serialize(user, Json), Lifetime);
        return new LoginResponse(token, clock.GetUtcNow() + Lifetime, user);
    }

    /// <summary>The session's user, renewing its lifetime; null for an unknown or expired token.</summary>
    public async Task<SessionUser?> ResolveAsync(string token)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100)
        {
            return null;
        }
        var value = await redis.GetDatabase().StringGetSetExpiryAsync(Key(token), Lifetime);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<SessionUser>(value.ToString(), Json);
    }

    public Task EndAsync(string token) => redis.GetDatabase().KeyDeleteAsync(Key(token));

    public async Task<bool> IsLockedAsync(string email) =>
        (long?)await redis.GetDatabase().StringGetAsync(FailureKey(email)) >= MaxFailures;

    public async Task RecordFailureAsync(string email)
    {
        var db = redis.GetDatabase();
        var failures = await db.StringIncrementAsync(FailureKey(email));
        if (failures == 1)
        {
            await db.KeyExpireAsync(FailureKey(email), LockoutWindow);
        }
    }

    public Task ClearFailuresAsync(string email) => redis.GetDatabase().KeyDeleteAsync(FailureKey(email));

    private static RedisKey Key(string token) => "portal:session:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static RedisKey FailureKey(string email) => "portal:login-failures:" + email.Trim().ToLowerInvariant();
}
