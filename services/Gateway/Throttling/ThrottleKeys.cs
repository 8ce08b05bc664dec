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
}
