using System.Text.Json.Serialization;

namespace Platform.Contracts;

public static class Tiers
{
    public const string Consumer = "consumer";
    public const string Enterprise = "enterprise";

    public static bool IsValid(string? tier) => tier is Consumer or Enterprise;
}

public static class UserRoles
{
    public const string PlatformAdmin = "platform_admin";
    public const string TenantAdmin = "tenant_admin";
    public const string Member = "member";

    public static bool IsValid(string? role) => role is PlatformAdmin or TenantAdmin or Member;
}

public static class Scopes
{
    public const string Inference = "inference";
    public const string Rag = "rag";
    public const string Ingest = "ingest";
    public const string FineTune = "finetune";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Inference, Rag, Ingest, FineTune, Admin];
}

public sealed record CreateTenantRequest(string? Name, string? Tier, string? Plan);

public sealed record TenantResponse(Guid Id, string Name, string Tier, string Plan, [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt);

public sealed record CreateUserRequest(string? Email, string? Password, string? Role);

public sealed record UserResponse(Guid Id, [property: JsonPropertyName("tenant_id")] Guid TenantId, string Email, string Role,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt);

public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes,
    [property: JsonPropertyName("expires_in_days")] int? ExpiresInDays);

public sealed record ApiKeyResponse(
    string Id,
    string Name,
    IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("last_used_at")] DateTimeOffset? LastUsedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("revoked_at")] DateTimeOffset? RevokedAt);

/// <summary>Returned once, on creation: the only time the secret key is shown.</summary>
public sealed record CreatedApiKeyResponse(ApiKeyResponse Key, [property: JsonPropertyName("secret_key")] string SecretKey);
