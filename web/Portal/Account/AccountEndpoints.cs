using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Platform.Portal.Gateway;

namespace Platform.Portal.Account;

/// <summary>
/// Sign-in and sign-out as plain form posts (antiforgery-checked): the gateway checks the password
/// and issues a portal session; the portal keeps that token in its encrypted auth cookie.
/// </summary>
public static class AccountEndpoints
{
    public const string TokenClaim = "platform:session_token";
    public const string TenantClaim = "platform:tenant_id";
    public const string TenantNameClaim = "platform:tenant_name";
    public const string TierClaim = "platform:tier";

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/login", LoginAsync);
        app.MapPost("/account/logout", LogoutAsync);
        return app;
    }

    private static async Task<IResult> LoginAsync(HttpContext context, [FromForm] string? email, [FromForm] string? password,
        [FromForm] string? returnUrl, GatewayClient gateway, CancellationToken ct)
    {
        var (session, error) = await gateway.LoginAsync(email ?? "", password ?? "", ct);
        if (session is null)
        {
            var query = $"?error={Uri.EscapeDataString(error ?? "Sign-in failed.")}&email={Uri.EscapeDataString(email ?? "")}";
            return Results.LocalRedirect("/account/login" + query + (returnUrl is { Length: > 0 } ? "&returnUrl=" + Uri.EscapeDataString(returnUrl) : ""));
        }
        var user = session.User;
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new Claim(ClaimTypes.Name, user.Email),
            new Claim(ClaimTypes.Role, user.Role),
            new Claim(TenantClaim, user.TenantId.ToString()),
            new Claim(TenantNameClaim, user.TenantName),
            new Claim(TierClaim, user.Tier),
            new Claim(TokenClaim, session.Token),
        ], CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { ExpiresUtc = session.ExpiresAt, IsPersistent = false });
        return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, GatewayClient gateway, CancellationToken ct)
    {
        if (context.User.FindFirstValue(TokenClaim) is { } token)
        {
            await gateway.LogoutAsync(token, ct);
        }
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return Results.LocalRedirect("/account/login");
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);
}
