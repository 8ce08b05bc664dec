using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>Platform-admin API: tenants, their people and their API keys.</summary>
public static class TenantsApi
{

    public static RouteGroupBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/tenants").AddEndpointFilter<PlatformAdminFilter>();
        api.MapPost("/", CreateTenant);
        api.MapGet("/", ListTenants);
        api.MapGet("/{tenantId:guid}", GetTenant);
        api.MapPost("/{tenantId:guid}/users", CreateUser);
        api.MapPost("/{tenantId:guid}/keys", CreateKey);
        api.MapGet("/{tenantId:guid}/keys", ListKeys);
        api.MapDelete("/{tenantId:guid}/keys/{keyId}", RevokeKey);
        api.MapPost("/{tenantId:guid}/keys/{keyId}/rotate", RotateKey);
        api.MapPut("/{tenantId:guid}/plan", ChangePlan);
        return api;
    }

    private static async Task<Results<Created<TenantResponse>, ProblemHttpResult>> CreateTenant(
        CreateTenantRequest request, TenantStore store, PlanStore plans, CancellationToken ct)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return Invalid("name", "A tenant needs a name of 1 to 200 characters.");
        }
        if (!Tiers.IsValid(request.Tier))
        {
            return Invalid("tier", $"tier must be '{Tiers.Consumer}' or '{Tiers.Enterprise}'.");
        }
        var plan = request.Plan?.Trim() is { Length: > 0 } p ? p : "default";
        if (!await plans.ExistsAsync(plan, ct))
        {
            return Invalid("plan", $"Unknown plan '{plan}'; GET /api/plans lists them.");
        }
        var tenant = await store.CreateTenantAsync(name, request.Tier!, plan, ct);
        return tenant is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Tenant exists", detail: $"A tenant named '{name}' already exists.")
            : TypedResults.Created($"/api/tenants/{tenant.Id}", tenant);
    }

    private static async Task<Ok<IReadOnlyList<TenantResponse>>> ListTenants(TenantStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListTenantsAsync(ct));

    private static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> GetTenant(Guid tenantId, TenantStore store, CancellationToken ct) =>
        await store.GetTenantAsync(tenantId, ct) is { } tenant ? TypedResults.Ok(tenant) : TenantNotFound();

    private static async Task<Results<Created<UserResponse>, ProblemHttpResult>> CreateUser(
        Guid tenantId, CreateUserRequest request, TenantStore store, CancellationToken ct)
    {
        var (email, problem) = UserRequests.ValidateNew(request.Email, request.Password, request.Role);
        if (problem is not null)
        {
            return problem;
        }
        if (await store.GetTenantAsync(tenantId, ct) is null)
        {
            return TenantNotFound();
        }
        var hash = new PasswordHasher<object>().HashPassword(email!, request.Password!);
        var user = await store.CreateUserAsync(tenantId, email!, hash, request.Role!, ct);
        return user is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "User exists", detail: "That email is already registered.")
            : TypedResults.Created($"/api/tenants/{tenantId}/users/{user.Id}", user);
    }

    private static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> CreateKey(
        Guid tenantId, CreateKeyBody request, TenantStore store, ApiKeySecret secrets, TimeProvider clock, CancellationToken ct)
    {
        var (valid, problem) = ApiKeyRequests.Validate(new CreateApiKeyRequest(request.Name, request.Scopes, request.ExpiresInDays));
        if (problem is not null)
        {
            return problem;
        }
        if (request.RequestsPerMinute is < 1 || request.TokensPerMinute is < 1 || request.MaxConcurrent is < 1)
        {
            return Invalid("limits", "requests_per_minute, tokens_per_minute and max_concurrent must be positive when given.");
        }
        if (await store.GetTenantAsync(tenantId, ct) is null)
        {
            return TenantNotFound();
        }
        var (id, secret) = ApiKeySecret.Generate();
        DateTimeOffset? expires = valid!.ExpiresInDays is { } days ? clock.GetUtcNow().AddDays(days) : null;
        var key = await store.CreateKeyAsync(tenantId, new TenantStore.NewKey(id, valid.Name, secrets.Hash(secret), valid.Scopes, expires,
            request.RequestsPerMinute, request.TokensPerMinute, request.MaxConcurrent), ct);
        return TypedResults.Created($"/api/tenants/{tenantId}/keys/{id}", new CreatedApiKeyResponse(key, ApiKeySecret.Format(id, secret)));
    }

    /// <summary>Issues a new secret under a new id with the same name, scopes, limits and expiry, and revokes the old key.</summary>
    private static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> RotateKey(
        Guid tenantId, string keyId, TenantStore store, ApiKeySecret secrets, CancellationToken ct)
    {
        var (id, secret) = ApiKeySecret.Generate();
        var key = await store.RotateKeyAsync(tenantId, keyId, id, secrets.Hash(secret), ct);
        if (key is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "The tenant has no such active key.");
        }
        return TypedResults.Created($"/api/tenants/{tenantId}/keys/{id}", new CreatedApiKeyResponse(key, ApiKeySecret.Format(id, secret)));
    }

    private static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> ChangePlan(
        Guid tenantId, ChangePlanBody request, TenantStore store, PlanStore plans, CancellationToken ct)
    {
        if (request.Plan?.Trim() is not { Length: > 0 } plan || !await plans.ExistsAsync(plan, ct))
        {
            return Invalid("plan", $"Unknown plan '{request.Plan}'; GET /api/plans lists them.");
        }
        var tenant = await store.ChangePlanAsync(tenantId, plan, ct);
        if (tenant is null)
        {
            return TenantNotFound();
        }
        return TypedResults.Ok(tenant);
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyResponse>>> ListKeys(Guid tenantId, TenantStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListKeysAsync(tenantId, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(
        Guid tenantId, string keyId, TenantStore store, CancellationToken ct)
    {
        if (!await store.RevokeKeyAsync(tenantId, keyId, ct))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "The tenant has no such key.");
        }
        return TypedResults.NoContent();
    }

    /// <summary>The create-key body: the shared <see cref="CreateApiKeyRequest"/> fields plus optional per-key limits (never above the plan).</summary>
    public sealed record CreateKeyBody(
        string? Name,
        IReadOnlyList<string>? Scopes,
        [property: JsonPropertyName("expires_in_days")] int? ExpiresInDays,
        [property: JsonPropertyName("requests_per_minute")] int? RequestsPerMinute,
        [property: JsonPropertyName("tokens_per_minute")] int? TokensPerMinute,
        [property: JsonPropertyName("max_concurrent")] int? MaxConcurrent);

    public sealed record ChangePlanBody(string? Plan);

    private static ProblemHttpResult TenantNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such tenant.");

    private static ProblemHttpResult Invalid(string field, string message) => ApiKeyRequests.Invalid(field, message);
}
