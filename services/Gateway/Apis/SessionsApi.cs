using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Platform.Contracts;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>Portal sign-in: email + password → a portal session token; sign-out; who am I.</summary>
public static class SessionsApi
{
    private const string InvalidCredentials = "Invalid email or password.";

    // Verifying against this when the email is unknown keeps both paths equally slow, so response
    // time does not reveal which emails exist.
    private static readonly string DummyHash = new PasswordHasher<object>().HashPassword(new object(), "not-a-real-password-0");

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth");
        auth.MapPost("/login", Login);
        auth.MapPost("/logout", Logout).AddEndpointFilter<PortalSessionFilter>();
        app.MapGet("/api/me", Me).AddEndpointFilter<PortalSessionFilter>();
        return app;
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> Login(
        LoginRequest request, UserLookup users, PortalSessions sessions, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password) || request.Email.Length > 254 || request.Password.Length > 256)
        {
            return Unauthorized(InvalidCredentials);
        }
        var email = request.Email.Trim();
        if (await sessions.IsLockedAsync(email))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Account locked",
                detail: $"Too many failed sign-ins; try again in {PortalSessions.LockoutWindow.TotalMinutes:F0} minutes.");
        }
        // Read before the row: if an admin ends this user's sessions after we read it, the session is not opened.
        var epoch = await sessions.SignInEpochAsync(email);
        var found = await users.FindByEmailAsync(email, ct);
        var hasher = new PasswordHasher<object>();
        var verdict = hasher.VerifyHashedPassword(email, found?.PasswordHash ?? DummyHash, request.Password);
        if (found is null || verdict == PasswordVerificationResult.Failed)
        {
            await sessions.RecordFailureAsync(email);
            return Unauthorized(InvalidCredentials);
        }
        await sessions.ClearFailuresAsync(email);
        return await sessions.CreateAsync(found.User, epoch) is { } session
            ? TypedResults.Ok(session)
            : Unauthorized("Your account changed while you were signing in; sign in again.");
    }

    private static async Task<NoContent> Logout(HttpContext context, PortalSessions sessions)
    {
        await sessions.EndAsync(PortalSessionFilter.Token(context)!, PortalSessionFilter.User(context));
        return TypedResults.NoContent();
    }

    private static Ok<SessionUser> Me(HttpContext context) => TypedResults.Ok(PortalSessionFilter.User(context));

    private static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}
