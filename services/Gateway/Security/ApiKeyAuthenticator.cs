namespace Platform.Services.Gateway.Security;

/// <summary>
/// Turns an Authorization header into a usable key, or null. Every failure (missing, malformed,
/// unknown, wrong secret, revoked, expired) looks the same to the caller.
/// </summary>
public sealed class ApiKeyAuthenticator(ApiKeyCache cache, ApiKeySecret secrets, SessionPrincipals sessions, TimeProvider clock)
{
    public async ValueTask<ApiKeyRecord?> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        var presented = PresentedKey(request);
        if (presented is not null && presented.StartsWith(PortalSessions.TokenPrefix, StringComparison.Ordinal))
        {
            // The portal calls the services through the gateway as the signed-in person.
            return await sessions.AuthenticateAsync(presented, ct);
        }
        if (!ApiKeySecret.TryParseKey(presented, out var id, out var secret))
        {
            return null;
        }
        var key = await cache.GetAsync(id, ct);
        if (key is null)
        {
            return null;
        }
        return secrets.Verify(secret, key.SecretHash) && key.IsUsable(clock.GetUtcNow()) ? key : null;
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        // Azure-OpenAI-style clients send the key in api-key.
        return request.Headers["api-key"].ToString() is { Length: > 0 } apiKey ? apiKey : null;
    }
}
