using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Guards the platform-admin API with the bootstrap admin token (Gateway:AdminToken), compared in
/// constant time. Without a configured token the admin API refuses everything.
/// </summary>
public sealed class AdminTokenFilter(IOptions<GatewayOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var configured = options.Value.AdminToken;
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (string.IsNullOrEmpty(configured) || !FixedTimeEquals(configured, presented))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "This endpoint needs the platform admin token as a Bearer token.");
        }
        return await next(context);
    }

    /// <summary>Compares the SHA-256 of both, so neither content nor length leaks through timing.</summary>
    internal static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
