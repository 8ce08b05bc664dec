using System.Net.Mail;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>Bodies, views and validation of the <c>/api/users</c> admin API.</summary>
public static class UserRequests
{
    public const int MinPasswordLength = 12;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>The checks of <c>POST /api/tenants/{id}/users</c>: a valid email, a 12–256 character password, a known role.</summary>
    public static (string? Email, ProblemHttpResult? Problem) ValidateNew(string? email, string? password, string? role)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > 254 || !MailAddress.TryCreate(email.Trim(), out var address))
        {
            return (null, Invalid("email", "email must be a valid address."));
        }
        if (password is null || password.Length < MinPasswordLength || password.Length > 256)
        {
            return (null, Invalid("password", $"password must be {MinPasswordLength} to 256 characters."));
        }
        return UserRoles.IsValid(role) ? (address.Address, null) : (null, InvalidRole());
    }

    public static ProblemHttpResult? ValidatePatch(PatchUserBody body)
    {
        if (body.Role is null && body.Disabled is null)
        {
            return Invalid("role", "Give role and/or disabled to change.");
        }
        return body.Role is not null && !UserRoles.IsValid(body.Role) ? InvalidRole() : null;
    }

    /// <summary>One page of users (of <paramref name="tenantId"/>, or of every tenant when null), with the next page's cursor.</summary>
    public static async Task<Results<Ok<UserPage>, ProblemHttpResult>> ListPageAsync(
        UserStore store, PortalSessions sessions, Guid? tenantId, int? limit, Guid? after, CancellationToken ct)
    {
        if (ValidatePage(limit) is { } problem)
        {
            return problem;
        }
        var size = limit ?? DefaultPageSize;
        // One extra row tells whether another page follows.
        var rows = await store.ListAsync(tenantId, after, size + 1, ct);
        var page = rows.Take(size).ToList();
        var views = await Task.WhenAll(page.Select(row => ViewAsync(row, sessions)));
        return TypedResults.Ok(new UserPage(views, rows.Count > size ? page[^1].Id : null));
    }

    /// <summary>The admin view of a user, with whether sign-in is locked.</summary>
    public static async Task<AdminUserResponse> ViewAsync(UserStore.UserRow row, PortalSessions sessions) =>
        AdminUserResponse.From(row, await sessions.IsLockedAsync(row.Email));

    public static ProblemHttpResult UserNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such user.");

    public static ProblemHttpResult? ValidatePage(int? limit) =>
        limit is < 1 or > MaxPageSize ? Invalid("limit", $"limit must be between 1 and {MaxPageSize}.") : null;

    public static ProblemHttpResult Invalid(string field, string message) => ApiKeyRequests.Invalid(field, message);

    private static ProblemHttpResult InvalidRole() =>
        Invalid("role", $"role must be one of {UserRoles.PlatformAdmin}, {UserRoles.TenantAdmin}, {UserRoles.Member}.");

    public sealed record CreateUserBody(
        [property: JsonPropertyName("tenant_id")] Guid? TenantId, string? Email, string? Password, string? Role);

    public sealed record PatchUserBody(string? Role, bool? Disabled);

    /// <summary>A user as the platform admin sees it; <c>locked</c> is the sign-in lockout after repeated failures.</summary>
    public sealed record AdminUserResponse(
        Guid Id,
        [property: JsonPropertyName("tenant_id")] Guid TenantId,
        string Email,
        string Role,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
        bool Disabled,
        [property: JsonPropertyName("disabled_at")] DateTimeOffset? DisabledAt,
        bool Locked)
    {
        public static AdminUserResponse From(UserStore.UserRow row, bool locked) =>
            new(row.Id, row.TenantId, row.Email, row.Role, row.CreatedAt, row.DisabledAt is not null, row.DisabledAt, locked);
    }

    /// <summary>One page; pass <c>next_after</c> as <c>after</c> for the next (null on the last page).</summary>
    public sealed record UserPage(
        IReadOnlyList<AdminUserResponse> Data,
        [property: JsonPropertyName("next_after")] Guid? NextAfter);
}
