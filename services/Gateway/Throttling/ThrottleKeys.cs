namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Redis key names of the limiter. All share the hash tag <c>{gw}</c> so one script can touch them
/// on a Redis Cluster too (they live on one shard; the limiter's load is a few commands per request).
/// </summary>
public static class ThrottleKeys
{
    public static string RequestsOfKey(string keyId) => "{gw}:rpm:k:" + keyId;
    public static string RequestsOfTenant(Guid tenant) => "{gw}:rpm:t:" + tenant;
    public static string TokensOfKey(string keyId) => "{gw}:tpm:k:" + keyId;
    public static string TokensOfTenant(Guid tenant) => "{gw}:tpm:t:" + tenant;
    public static string LeasesOfKey(string keyId) => "{gw}:con:k:" + keyId;
    public static string LeasesOfTenant(Guid tenant) => "{gw}:con:t:" + tenant;
    public static string SessionsOfTenant(Guid tenant) => "{gw}:sess:t:" + tenant;
    public const string ConsumerPool = "{gw}:cpool";
    public const string ConsumerDemand = "{gw}:cdemand";
    public const string ConsumerWeights = "{gw}:cweight";
}

/// <summary>
/// One API key's script arguments that never change between its requests (key names, the tenant as text),
/// built once and shared by every admission, release and renewal of that key: arrays passed to Redis are
/// only read, and building them per request was a dozen strings each time.
/// </summary>
public sealed class KeyScriptArguments
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string KeyId, Guid Tenant), KeyScriptArguments> Cache = new();

    private KeyScriptArguments(string keyId, Guid tenant)
    {
        Tenant = tenant.ToString();
        Admit =
        [
            ThrottleKeys.RequestsOfKey(keyId), ThrottleKeys.RequestsOfTenant(tenant),
            ThrottleKeys.TokensOfKey(keyId), ThrottleKeys.TokensOfTenant(tenant),
            ThrottleKeys.LeasesOfKey(keyId), ThrottleKeys.LeasesOfTenant(tenant),
            ThrottleKeys.ConsumerPool, ThrottleKeys.SessionsOfTenant(tenant), ThrottleKeys.ConsumerDemand,
            ThrottleKeys.ConsumerWeights,
        ];
        Release = [Admit[4], Admit[5], Admit[6], Admit[2], Admit[3]];
        Renew = [Admit[4], Admit[5], Admit[6]];
    }

    /// <summary>The tenant id as the scripts store it.</summary>
    public string Tenant { get; }

    /// <summary>KEYS of admit.lua.</summary>
    public StackExchange.Redis.RedisKey[] Admit { get; }

    /// <summary>KEYS of release.lua.</summary>
    public StackExchange.Redis.RedisKey[] Release { get; }

    /// <summary>KEYS of renew.lua.</summary>
    public StackExchange.Redis.RedisKey[] Renew { get; }

    public static KeyScriptArguments For(string keyId, Guid tenant)
    {
        if (Cache.Count > 100_000)
        {
            Cache.Clear();
        }
        return Cache.GetOrAdd((keyId, tenant), k => new KeyScriptArguments(k.KeyId, k.Tenant));
    }
}
