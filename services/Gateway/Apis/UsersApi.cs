using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;
using static Platform.Services.Gateway.Apis.UserRequests;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// Platform-admin API (admin token or a platform_admin's portal session) over users of every tenant: list, read, change role, disable, delete, create.
/// A role change, a disable and a delete end the user's portal sessions, so the change applies from
/// their next sign-in (a disabled or deleted user cannot sign in at all).
/// </summary>
public static class UsersApi
{
    public static WebApplicationBuilder AddUsersApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserStore>();
        builder.Services.AddSingleton<TenantUserStore>();
        return builder;
    }

    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").AddEndpointFilter<PlatformAdminFilter>();
        api.MapGet("/", ListUsers);
        api.MapPost("/", CreateUser);
        api.MapGet("/{userId:guid}", GetUser);
        api.MapPatch("/{userId:guid}", PatchUser);
        api.MapDelete("/{userId:guid}", DeleteUser);
        return api;
    }

    private static async Task<Results<Ok<UserPage>, ProblemHttpResult>> ListUsers(
        [FromQuery(Name = "tenant_id")] Guid? tenantId, int? limit, Guid? after, UserStore store, PortalSessions sessions, CancellationToken ct)
    {
        return await ListPageAsync(store, sessions, tenantId, limit, after, ct);
    }

    private static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> GetUser(
        Guid userId, UserLookup lookup, UserStore store, PortalSessions sessions, CancellationToken ct)
    {
        var row = await lookup.FindTenantOfAsync(userId, ct) is { } tenantId ? await store.GetAsync(tenantId, userId, ct) : null;
        return row is null ? UserNotFound() : TypedResults.Ok(await ViewAsync(row, sessions));
    }

    private static async Task<Results<Created<AdminUserResponse>, ProblemHttpResult>> CreateUser(
        CreateUserBody request, TenantStore tenants, CancellationToken ct)
    {
        if (request.TenantId is not { } tenantId)
        {
            return Invalid("tenant_id", "tenant_id is required.");
        }
        var (email, problem) = ValidateNew(request.Email, request.Password, request.Role);
        if (problem is not null)
        {
            return problem;
        }
        if (await tenants.GetTenantAsync(tenantId, ct) is null)
        {
            return Invalid("tenant_id", "No tenant has this id.");
        }
        var hash = new PasswordHasher<object>().HashPassword(email!, request.Password!);
        var user = await tenants.CreateUserAsync(tenantId, email!, hash, request.Role!, ct);
        return user is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "User exists", detail: "That email is already registered.")
            : TypedResults.Created($"/api/users/{user.Id}",
                new AdminUserResponse(user.Id, user.TenantId, user.Email, user.Role, user.CreatedAt, false, null, false));
    }

    private static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> PatchUser(
        Guid userId, PatchUserBody request, UserLookup lookup, UserStore store, PortalSessions sessions,
        ILoggerFactory logs, CancellationToken ct)
    {
        if (ValidatePatch(request) is { } problem)
        {
            return problem;
        }
        var row = await lookup.FindTenantOfAsync(userId, ct) is { } tenantId
            ? await store.UpdateAsync(tenantId, userId, request.Role, request.Disabled, ct)
            : null;
        if (row is null)
        {
            return UserNotFound();
        }
        if (request.Role is not null || request.Disabled == true)
        {
            // Sessions carry the role they were opened with: ending them makes the change apply at the next sign-in.
            var ended = await sessions.EndUserSessionsAsync(userId, row.Email);
            logs.CreateLogger(nameof(UsersApi)).LogInformation("User {UserId} changed (role {Role}, disabled {Disabled}); {Sessions} portal sessions ended",
                userId, row.Role, row.DisabledAt is not null, ended);
        }
        return TypedResults.Ok(await ViewAsync(row, sessions));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteUser(
        Guid userId, UserLookup lookup, UserStore store, PortalSessions sessions, ILoggerFactory logs, CancellationToken ct)
    {
        if (await lookup.FindTenantOfAsync(userId, ct) is not { } tenantId || await store.DeleteAsync(tenantId, userId, ct) is not { } email)
        {
            return UserNotFound();
        }
        var ended = await sessions.EndUserSessionsAsync(userId, email);
        logs.CreateLogger(nameof(UsersApi)).LogInformation("User {UserId} deleted; {Sessions} portal sessions ended", userId, ended);
        return TypedResults.NoContent();
    }

}
