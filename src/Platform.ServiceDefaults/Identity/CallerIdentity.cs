namespace Platform.ServiceDefaults.Identity;

/// <summary>
/// Who is calling a service, as established by the gateway (API key or portal session) and
/// forwarded in signed <see cref="CallerHeaders"/>. Services trust nothing else.
/// </summary>
/// <param name="TenantId">The caller's tenant.</param>
/// <param name="Tier">"consumer" or "enterprise".</param>
/// <param name="Principal">The API key id or the portal user id that made the call.</param>
/// <param name="Scopes">Granted scopes (inference, rag, ingest, finetune, admin).</param>
/// <param name="Role">The portal user's role when the caller is a person; null for API keys.</param>
/// <param name="Priority">Scheduling class for the engine: enterprise, consumer or batch.</param>
/// <param name="CacheSalt">Per-tenant prefix-cache salt: KV blocks are never shared across salts.</param>
public sealed record CallerIdentity(
    Guid TenantId,
    string Tier,
    string Principal,
    IReadOnlyList<string> Scopes,
    string? Role,
    string Priority,
    string CacheSalt)
{
    public bool HasScope(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}
