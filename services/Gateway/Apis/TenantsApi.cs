using System.Net.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>Platform-admin API: tenants, their people and their API keys.</summary>
public static class TenantsApi
{
    private const int MinPasswordLength = 12;

    public static RouteGroupBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/tenants").AddEndpointFilter<AdminTokenFilter>();
        api.MapPost("/", CreateTenant);
        api.MapGet("/", ListTenants);
        api.MapGet("/{tenantId:guid}", GetTenant);
        api.MapPost("/{tenantId:guid}/users", CreateUser);
        api.MapPost("/{tenantId:guid}/keys", CreateKey);
        api.MapGet("/{tenantId:guid}/keys", ListKeys);
        api.MapDelete("/{tenantId:guid}/keys/{keyId}", RevokeKey);
        return api;
    }

    private static async Task<Results<Created<TenantResponse>, ProblemHttpResult>> CreateTenant(
        CreateTenantRequest request, TenantStore store, CancellationToken ct)
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
        var tenant = await store.CreateTenantAsync(name, request.Tier!, request.Plan?.Trim() is { Length: > 0 } plan ? plan : "default", ct);
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
        if (string.IsNullOrWhiteSpace(request.Email) || !MailAddress.TryCreate(request.Email.Trim(), out var email) || request.Email.Length > 254)
        {
            return Invalid("email", "email must be a valid address.");
        }
        if (request.Password is null || request.Password.Length < MinPasswordLength || request.Password.Length > 256)
        {
            return Invalid("password", $"password must be {MinPasswordLength} to 256 characters.");
        }
        if (!UserRoles.IsValid(request.Role))
        {
            return Invalid("role", $"role must be one of {UserRoles.PlatformAdmin}, {UserRoles.TenantAdmin}, {UserRoles.Member}.");
        }
        if (await store.GetTenantAsync(tenantId, ct) is null)
        {
            return TenantNotFound();
        }
        var hash = new PasswordHasher<object>().HashPassword(email.Address, request.Password);
        var user = await store.CreateUserAsync(tenantId, email.Address, hash, request.Role!, ct);
        return user is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "User exists", detail: "That email is already registered.")
            : TypedResults.Created($"/api/tenants/{tenantId}/users/{user.Id}", user);
    }

    private static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> CreateKey(
        Guid tenantId, CreateApiKeyRequest request, TenantStore store, ApiKeySecret secrets, TimeProvider clock, CancellationToken ct)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            return Invalid("name", "A key needs a name of 1 to 100 characters.");
        }
        var scopes = request.Scopes is { Count: > 0 } s ? s.Distinct().ToList() : [Scopes.Inference, Scopes.Rag];
        if (scopes.FirstOrDefault(x => !Scopes.All.Contains(x)) is { } unknown)
        {
            return Invalid("scopes", $"Unknown scope '{unknown}'; scopes are {string.Join(", ", Scopes.All)}.");
        }
        if (request.ExpiresInDays is < 1 or > 3650)
        {
            return Invalid("expires_in_days", "expires_in_days must be between 1 and 3650.");
        }
        if (await store.GetTenantAsync(tenantId, ct) is null)
        {
            return TenantNotFound();
        }
        var (id, secret) = ApiKeySecret.Generate();
        DateTimeOffset? expires = request.ExpiresInDays is { } days ? clock.GetUtcNow().AddDays(days) : null;
        var key = await store.CreateKeyAsync(tenantId, id, name, secrets.Hash(secret), scopes, expires, ct);
        return TypedResults.Created($"/api/tenants/{tenantId}/keys/{id}", new CreatedApiKeyResponse(key, ApiKeySecret.Format(id, secret)));
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyResponse>>> ListKeys(Guid tenantId, TenantStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListKeysAsync(tenantId, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(Guid tenantId, string keyId, TenantStore store, CancellationToken ct) =>
        await store.RevokeKeyAsync(tenantId, keyId, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "The tenant has no such key.");

    private static ProblemHttpResult TenantNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such tenant.");

    private static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: message,
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
