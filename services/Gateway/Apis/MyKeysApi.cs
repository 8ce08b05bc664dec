using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// The signed-in person's own tenant's API keys (the portal's keys page). Members may list;
/// tenant admins may also create and revoke. Another tenant's key id is simply not found.
/// </summary>
public static class MyKeysApi
{
    public static IEndpointRouteBuilder MapMyKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/keys").AddEndpointFilter<PortalSessionFilter>();
        keys.MapGet("/", List);
        keys.MapPost("/", Create);
        keys.MapDelete("/{keyId}", Revoke);
        return app;
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyResponse>>> List(HttpContext context, TenantStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListKeysAsync(PortalSessionFilter.User(context).TenantId, ct));

    private static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> Create(
        HttpContext context, CreateApiKeyRequest request, TenantStore store, ApiKeySecret secrets, TimeProvider clock, CancellationToken ct)
    {
        var user = PortalSessionFilter.User(context);
        if (!CanManage(user))
        {
            return Forbidden();
        }
        var (keyRequest, problem) = ApiKeyRequests.Validate(request);
        if (problem is not null)
        {
            return problem;
        }
        var (id, secret) = ApiKeySecret.Generate();
        var key = await store.CreateKeyAsync(user.TenantId, id, keyRequest!.Name, secrets.Hash(secret), keyRequest.Scopes,
            keyRequest.ExpiresInDays is { } days ? clock.GetUtcNow().AddDays(days) : null, ct);
        return TypedResults.Created($"/api/keys/{id}", new CreatedApiKeyResponse(key, ApiKeySecret.Format(id, secret)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(HttpContext context, string keyId, TenantStore store, CancellationToken ct)
    {
        var user = PortalSessionFilter.User(context);
        if (!CanManage(user))
        {
            return Forbidden();
        }
        return await store.RevokeKeyAsync(user.TenantId, keyId, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such key.");
    }

    private static bool CanManage(SessionUser user) => user.Role is UserRoles.TenantAdmin or UserRoles.PlatformAdmin;

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Only tenant admins manage API keys.");
}
