using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Contracts;
using Platform.Services.Gateway.Portal;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Portal sessions in Redis: an opaque token (ps_…) maps to the signed-in user for
/// <see cref="Lifetime"/>, renewed on use. Only SHA-256 of the token is a key, so a Redis dump does
/// not reveal live tokens. Each user's sessions are indexed (<see cref="PortalSessionScripts"/>), so
/// ending them is O(their sessions) and atomic on every replica. Failed sign-ins are counted per
/// email; after <see cref="MaxFailures"/> within <see cref="LockoutWindow"/> the account is locked
/// for the rest of the window.
/// </summary>
public sealed class PortalSessions(IConnectionMultiplexer redis, TimeProvider clock)
{
    public const string TokenPrefix = "ps_";
    public const int MaxFailures = 5;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    public static readonly TimeSpan LockoutWindow = TimeSpan.FromMinutes(15);

    // Far longer than any sign-in takes between reading the epoch and opening the session.
    private static readonly TimeSpan EpochLifetime = TimeSpan.FromHours(1);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Read before the user's row is checked at sign-in and handed to <see cref="CreateAsync"/>.</summary>
    public async Task<long> SignInEpochAsync(string email) =>
        (long?)await redis.GetDatabase().StringGetAsync(EpochKey(email)) ?? 0;

    /// <summary>
    /// Opens a session for <paramref name="user"/>; null when the user's sessions were ended after
    /// <paramref name="epoch"/> was read (the user changed while signing in, so the row checked may be stale).
    /// </summary>
    public async Task<LoginResponse?> CreateAsync(SessionUser user, long epoch)
    {
        var token = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var member = Hash(token);
        var created = await PortalSessionScripts.Create.EvaluateAsync(redis.GetDatabase(),
            [PortalSessionScripts.SessionPrefix + member, UserSessionsKey(user.Id), EpochKey(user.Email)],
            [JsonSerializer.Serialize(user, Json), Milliseconds(Lifetime), member, epoch]);
        return (long)created == 1 ? new LoginResponse(token, clock.GetUtcNow() + Lifetime, user) : null;
    }

    /// <summary>The session's user, renewing its lifetime; null for an unknown or expired token.</summary>
    public async Task<SessionUser?> ResolveAsync(string token)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100)
        {
            return null;
        }
        var value = await PortalSessionScripts.Resolve.EvaluateAsync(redis.GetDatabase(),
            [PortalSessionScripts.SessionPrefix + Hash(token)], [Milliseconds(Lifetime)]);
        return value.IsNull ? null : JsonSerializer.Deserialize<SessionUser>(value.ToString(), Json);
    }

    /// <summary>Ends the session of <paramref name="user"/> that <paramref name="token"/> names (sign-out).</summary>
    public async Task EndAsync(string token, SessionUser user)
    {
        var member = Hash(token);
        await PortalSessionScripts.End.EvaluateAsync(redis.GetDatabase(), [PortalSessionScripts.SessionPrefix + member, UserSessionsKey(user.Id)], [member]);
    }

    /// <summary>
    /// Ends every session of the user (after a role change, disable or delete) in one atomic step, and
    /// makes any sign-in of theirs already past the password check fail; returns how many were live.
    /// </summary>
    public async Task<int> EndUserSessionsAsync(Guid userId, string email) =>
        (int)await PortalSessionScripts.EndUser.EvaluateAsync(redis.GetDatabase(),
            [UserSessionsKey(userId), EpochKey(email)], [Milliseconds(EpochLifetime)]);

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

    /// <summary>The set of a user's session hashes.</summary>
    public static RedisKey UserSessionsKey(Guid userId) => PortalSessionScripts.UserPrefix + userId.ToString();

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Milliseconds(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static RedisKey EpochKey(string email) => PortalSessionScripts.EpochPrefix + Normalize(email);

    private static RedisKey FailureKey(string email) => "portal:login-failures:" + Normalize(email);

    private static string Normalize(string email) => email.Trim().ToLowerInvariant();
}
