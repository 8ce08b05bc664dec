using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;
using static Platform.Services.Gateway.Apis.UserRequests;

namespace Platform.Services.Gateway.Apis;

/// <summary>
/// A tenant admin's users page: the signed-in admin's own tenant only (row-level security; another
/// tenant's user is simply not found). Members get 403. A tenant admin cannot grant platform_admin or
/// change a platform admin, and cannot remove (demote, disable, delete) the tenant's last enabled
/// tenant_admin. Changes end the user's portal sessions, as in <c>/api/users</c>.
/// </summary>
public static class MyUsersApi
{
    public static IEndpointRouteBuilder MapMyUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/me/users").AddEndpointFilter<PortalSessionFilter>().AddEndpointFilter(RequireTenantAdmin);
        users.MapGet("/", List);
        users.MapPost("/", Create);
        users.MapGet("/{userId:guid}", Get);
        users.MapPatch("/{userId:guid}", Patch);
        users.MapDelete("/{userId:guid}", Delete);
        return app;
    }

    private static async ValueTask<object?> RequireTenantAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        PortalSessionFilter.User(context.HttpContext).Role is UserRoles.TenantAdmin or UserRoles.PlatformAdmin
            ? await next(context)
            : Forbidden("Only tenant admins manage the tenant's users.");

    private static async Task<Results<Ok<UserPage>, ProblemHttpResult>> List(
        HttpContext context, int? limit, Guid? after, UserStore store, PortalSessions sessions, CancellationToken ct)
    {
        return await ListPageAsync(store, sessions, TenantOf(context), limit, after, ct);
    }

    private static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> Get(
        HttpContext context, Guid userId, UserStore store, PortalSessions sessions, CancellationToken ct) =>
        await store.GetAsync(TenantOf(context), userId, ct) is { } row ? TypedResults.Ok(await ViewAsync(row, sessions)) : UserNotFound();

    private static async Task<Results<Created<AdminUserResponse>, ProblemHttpResult>> Create(
        HttpContext context, CreateUserRequest request, TenantStore tenants, CancellationToken ct)
    {
        var (email, problem) = ValidateNew(request.Email, request.Password, request.Role);
        if (problem is not null)
        {
            return problem;
        }
        if (request.Role == UserRoles.PlatformAdmin)
        {
            return Forbidden("Only a platform admin can create platform admins.");
        }
        var hash = new PasswordHasher<object>().HashPassword(email!, request.Password!);
        var user = await tenants.CreateUserAsync(TenantOf(context), email!, hash, request.Role!, ct);
        return user is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "User exists", detail: "That email is already registered.")
            : TypedResults.Created($"/api/me/users/{user.Id}",
                new AdminUserResponse(user.Id, user.TenantId, user.Email, user.Role, user.CreatedAt, false, null, false));
    }

    private static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> Patch(
        HttpContext context, Guid userId, PatchUserBody request, TenantUserStore store, PortalSessions sessions,
        ILoggerFactory logs, CancellationToken ct)
    {
        if (ValidatePatch(request) is { } problem)
        {
            return problem;
        }
        if (request.Role == UserRoles.PlatformAdmin)
        {
            return Forbidden("Only a platform admin can grant platform_admin.");
        }
        var (outcome, row) = await store.UpdateAsync(TenantOf(context), userId, request.Role, request.Disabled, ct);
        if (Refusal(outcome) is { } refused)
        {
            return refused;
        }
        if (request.Role is not null || request.Disabled == true)
        {
            var ended = await sessions.EndUserSessionsAsync(userId, row!.Email);
            logs.CreateLogger(nameof(MyUsersApi)).LogInformation("Tenant admin {AdminId} changed user {UserId} (role {Role}, disabled {Disabled}); {Sessions} portal sessions ended",
                PortalSessionFilter.User(context).Id, userId, row.Role, row.DisabledAt is not null, ended);
        }
        return TypedResults.Ok(await ViewAsync(row!, sessions));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        HttpContext context, Guid userId, TenantUserStore store, PortalSessions sessions, ILoggerFactory logs, CancellationToken ct)
    {
        var (outcome, row) = await store.DeleteAsync(TenantOf(context), userId, ct);
        if (Refusal(outcome) is { } refused)
        {
            return refused;
        }
        var ended = await sessions.EndUserSessionsAsync(userId, row!.Email);
        logs.CreateLogger(nameof(MyUsersApi)).LogInformation("Tenant admin {AdminId} deleted user {UserId}; {Sessions} portal sessions ended",
            PortalSessionFilter.User(context).Id, userId, ended);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult? Refusal(TenantUserStore.Outcome outcome) => outcome switch
    {
        TenantUserStore.Outcome.NotFound => UserNotFound(),
        TenantUserStore.Outcome.PlatformAdmin => Forbidden("A platform admin's account is managed by platform admins only."),
        TenantUserStore.Outcome.LastAdmin => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Last tenant admin",
            detail: "This is the tenant's last enabled tenant_admin; make another user tenant_admin first."),
        _ => null,
    };

    private static Guid TenantOf(HttpContext context) => PortalSessionFilter.User(context).TenantId;

    private static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);
}
