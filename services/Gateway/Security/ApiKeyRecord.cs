using Platform.Contracts;
using Platform.Services.Gateway.Policy;

namespace Platform.Services.Gateway.Security;

/// <summary>What the gateway knows about a key after looking it up: enough to authenticate and throttle it.</summary>
public sealed record ApiKeyRecord(
    string KeyId,
    Guid TenantId,
    string Tier,
    byte[] SecretHash,
    IReadOnlyList<string> Scopes,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    PlanLimits Plan,
    KeyLimits Limits)
{
    /// <summary>The person's role when this "key" is a portal session (<see cref="SessionPrincipals"/>); null for API keys.</summary>
    public string? Role { get; init; }

    public bool IsConsumer => Tier == Tiers.Consumer;

    public bool IsUsable(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}
