using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults.Identity;

/// <summary>
/// The signed headers the gateway forwards to services. The signature is HMAC-SHA-256 under
/// Platform:InternalSecret over every identity header, the timestamp, the method and the path, so a
/// service reached directly (or through anything but the gateway) refuses the call, and a captured
/// header set cannot be replayed on another route or after <see cref="MaxClockSkew"/>.
/// </summary>
public static class CallerHeaders
{
    public const string Tenant = "X-Platform-Tenant";
    public const string Tier = "X-Platform-Tier";
    public const string Principal = "X-Platform-Principal";
    public const string Scopes = "X-Platform-Scopes";
    public const string Role = "X-Platform-Role";
    public const string Priority = "X-Platform-Priority";
    public const string CacheSalt = "X-Platform-Cache-Salt";
    public const string Timestamp = "X-Platform-Timestamp";
    public const string Signature = "X-Platform-Signature";

    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(2);

    /// <summary>Every header name above: the gateway strips these from client requests.</summary>
    public static readonly IReadOnlyList<string> All = [Tenant, Tier, Principal, Scopes, Role, Priority, CacheSalt, Timestamp, Signature];

    /// <summary>Writes the identity headers for a request to <paramref name="method"/> <paramref name="path"/>.</summary>
    public static void Write(IDictionary<string, string> headers, CallerIdentity caller, string method, string path, byte[] secret, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        headers[Tenant] = caller.TenantId.ToString();
        headers[Tier] = caller.Tier;
        headers[Principal] = caller.Principal;
        headers[Scopes] = string.Join(',', caller.Scopes);
        headers[Role] = caller.Role ?? "";
        headers[Priority] = caller.Priority;
        headers[CacheSalt] = caller.CacheSalt;
        headers[Timestamp] = timestamp;
        headers[Signature] = Sign(caller, timestamp, method, path, secret);
    }

    /// <summary>Reads and verifies the identity headers; null when absent, forged, stale or malformed.</summary>
    public static CallerIdentity? Read(IHeaderDictionary headers, string method, string path, byte[] secret, DateTimeOffset now)
    {
        if (secret.Length == 0 ||
            !Guid.TryParse(headers[Tenant].ToString(), out var tenant) ||
            !long.TryParse(headers[Timestamp].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }
        var age = now - DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (age.Duration() > MaxClockSkew)
        {
            return null;
        }
        var role = headers[Role].ToString();
        var caller = new CallerIdentity(
            tenant,
            headers[Tier].ToString(),
            headers[Principal].ToString(),
            headers[Scopes].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries),
            role.Length == 0 ? null : role,
            headers[Priority].ToString(),
            headers[CacheSalt].ToString());
        var expected = Sign(caller, headers[Timestamp].ToString(), method, path, secret);
        var presented = headers[Signature].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented)) ? caller : null;
    }

    private static string Sign(CallerIdentity caller, string timestamp, string method, string path, byte[] secret)
    {
        var canonical = string.Join('\n',
            caller.TenantId.ToString(), caller.Tier, caller.Principal, string.Join(',', caller.Scopes), caller.Role ?? "",
            caller.Priority, caller.CacheSalt, timestamp, method.ToUpperInvariant(), path);
        return Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(canonical)));
    }
}
