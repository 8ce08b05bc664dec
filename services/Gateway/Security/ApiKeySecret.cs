using System.Security.Cryptography;
using System.Text;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// API keys look like <c>pk_live_&lt;id&gt;_&lt;secret&gt;</c>. The id (public, 16 chars) finds the row; the
/// secret (32 random bytes, base64url) is stored only as HMAC-SHA-256 under a server-side key and
/// compared in constant time.
/// </summary>
public sealed class ApiKeySecret(byte[] hashKey)
{
    private const string Prefix = "pk_live_";
    private const string IdAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    public static (string Id, string Secret) Generate()
    {
        var id = RandomNumberGenerator.GetString(IdAlphabet, 16);
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, secret);
    }

    public static string Format(string id, string secret) => $"{Prefix}{id}_{secret}";

    /// <summary>Splits a presented key; false for anything not shaped like one of ours.</summary>
    public static bool TryParseKey(string? presented, out string id, out string secret)
    {
        id = secret = "";
        if (presented is null || !presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 200)
        {
            return false;
        }
        var rest = presented.AsSpan(Prefix.Length);
        var sep = rest.IndexOf('_');
        if (sep != 16 || rest.Length - sep - 1 < 32)
        {
            return false;
        }
        id = rest[..sep].ToString();
        secret = rest[(sep + 1)..].ToString();
        return true;
    }

    public byte[] Hash(string secret) => HMACSHA256.HashData(hashKey, Encoding.UTF8.GetBytes(secret));

    public bool Verify(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
