using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;

namespace Platform.Services.FineTune.Apis;

/// <summary>Who may do what: any verified caller of the tenant reads; creating and deleting need the "finetune" scope and, for people, the tenant_admin role.</summary>
public static class Access
{
    public const string Scope = "finetune";

    private static readonly string[] AdminRoles = ["tenant_admin", "platform_admin"];

    /// <summary>Adds the admin check after <c>RequireCaller("finetune")</c>.</summary>
    public static RouteHandlerBuilder RequireFineTuneAdmin(this RouteHandlerBuilder builder) =>
        builder.RequireCaller(Scope).AddEndpointFilter(async (ctx, next) =>
        {
            var caller = ctx.HttpContext.GetCaller()!;
            // API keys carry no role: their "finetune" scope is the grant. People must be tenant admins.
            if (caller.Role is { } role && !AdminRoles.Contains(role))
            {
                return ErrorResults.OpenAi(StatusCodes.Status403Forbidden, "permission_error",
                    "Only tenant admins may upload datasets and create or cancel fine-tuning jobs.", code: "insufficient_role");
            }
            return await next(ctx);
        });

    public static IResult Invalid(string message, string? param, string? code = null) =>
        ErrorResults.OpenAi(StatusCodes.Status400BadRequest, "invalid_request_error", message, param, code);

    public static IResult NotFound(string message, string? param = null) =>
        ErrorResults.OpenAi(StatusCodes.Status404NotFound, "invalid_request_error", message, param, "not_found");
}
