using Platform.Services.Gateway.Throttling;

namespace Platform.Services.Gateway.Portal;

/// <summary>
/// The portal-session index, kept atomic by Lua so every gateway replica sees one truth. Every key
/// carries the hash tag <c>{portal}</c> (one Redis Cluster slot), because the scripts reach session keys
/// named by the members of a user's set.
/// <list type="bullet">
/// <item><c>portal:session:{portal}:&lt;sha256(token)&gt;</c>: the SessionUser JSON; TTL = lifetime, renewed on use.</item>
/// <item><c>portal:user-sessions:{portal}:&lt;user id&gt;</c>: set of the user's session hashes; its TTL is renewed with each of them, so it outlives them all.</item>
/// <item><c>portal:signin-epoch:{portal}:&lt;email&gt;</c>: counter bumped whenever the user's sessions are ended, so a sign-in that read the user before that cannot open a session after it.</item>
/// </list>
/// </summary>
public static class PortalSessionScripts
{
    public const string SessionPrefix = "portal:session:{portal}:";
    public const string UserPrefix = "portal:user-sessions:{portal}:";
    public const string EpochPrefix = "portal:signin-epoch:{portal}:";

    /// <summary>
    /// KEYS: session, user's set, sign-in epoch. ARGV: session JSON, lifetime ms, member, epoch seen before
    /// the password check. Prunes members whose session expired; returns 0 (nothing written) when the
    /// user's sessions were ended since the epoch was read.
    /// </summary>
    public static readonly RedisScript Create = new("""
        local epoch = tonumber(redis.call('GET', KEYS[3]) or '0')
        if epoch ~= tonumber(ARGV[4]) then return 0 end
        for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          if redis.call('EXISTS', 'portal:session:{portal}:' .. member) == 0 then redis.call('SREM', KEYS[2], member) end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[3])
        redis.call('PEXPIRE', KEYS[2], ARGV[2])
        return 1
        """);

    /// <summary>
    /// KEYS: session. ARGV: lifetime ms. The session JSON (nil when unknown), renewing it and its user's set
    /// (the user is the JSON's "id": a quote before it rules out "tenant_id", and quotes inside strings are escaped).
    /// </summary>
    public static readonly RedisScript Resolve = new("""
        local json = redis.call('GET', KEYS[1])
        if not json then return false end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        local user = string.match(json, '"id":"([%x%-]+)"')
        if user then redis.call('PEXPIRE', 'portal:user-sessions:{portal}:' .. user, ARGV[1]) end
        return json
        """);

    /// <summary>KEYS: session, user's set. ARGV: member. Deletes the session and its index entry.</summary>
    public static readonly RedisScript End = new("""
        redis.call('DEL', KEYS[1])
        redis.call('SREM', KEYS[2], ARGV[1])
        return 1
        """);

    /// <summary>KEYS: user's set, sign-in epoch. ARGV: epoch lifetime ms. Ends every session of the user; returns how many were live.</summary>
    public static readonly RedisScript EndUser = new("""
        redis.call('INCR', KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
        local ended = 0
        for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          ended = ended + redis.call('DEL', 'portal:session:{portal}:' .. member)
        end
        redis.call('DEL', KEYS[1])
        return ended
        """);
}
