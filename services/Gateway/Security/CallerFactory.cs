using System.Security.Cryptography;
using System.Text;
using Platform.Contracts;
using Platform.ServiceDefaults.Identity;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Builds the <see cref="CallerIdentity"/> the gateway forwards for a key. The prefix-cache salt is
/// HMAC(Platform:InternalSecret, tenant id): stable per tenant, unguessable, and never taken from the client.
/// </summary>
public sealed class CallerFactory(InternalSecret secret)
{
    public bool IsConfigured => secret.Bytes.Length > 0;

    public byte[] Secret => secret.Bytes;

    public CallerIdentity For(ApiKeyRecord key) => new(
        key.TenantId,
        key.Tier,
        key.KeyId,
        key.Scopes,
        key.Role,
        Priority: key.Tier == Tiers.Enterprise ? "enterprise" : "consumer",
        CacheSalt: CacheSalt(key.TenantId));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> _salts = new();

    public string CacheSalt(Guid tenantId) => _salts.GetOrAdd(tenantId, ComputeSalt);

    private string ComputeSalt(Guid tenantId)
    {
        if (_salts.Count > 100_000)
        {
            _salts.Clear();
        }
        var mac = HMACSHA256.HashData(secret.Bytes, Encoding.ASCII.GetBytes("prefix-cache-salt:" + tenantId.ToString("N")));
        return Convert.ToBase64String(mac, 0, 18).Replace('+', '-').Replace('/', '_');
    }
}
