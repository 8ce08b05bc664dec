using System.Text.Json.Serialization;

namespace Platform.Contracts;

public sealed record LoginRequest(string? Email, string? Password);

public sealed record SessionUser(
    Guid Id,
    string Email,
    string Role,
    [property: JsonPropertyName("tenant_id")] Guid TenantId,
    [property: JsonPropertyName("tenant_name")] string TenantName,
    string Tier);

/// <summary>A portal session: an opaque bearer token (ps_…) the portal presents to the gateway for its user.</summary>
public sealed record LoginResponse(
    string Token,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt,
    SessionUser User);
