using Platform.ServiceDefaults;

namespace Platform.Services.Gateway.Proxy;

/// <summary>Refusals on proxied routes: OpenAI's error shape under /v1, ProblemDetails elsewhere.</summary>
public static class ProxyErrors
{
    public const string Unauthenticated = "Incorrect or missing API key. Send 'Authorization: Bearer pk_live_…'.";

    public static Task WriteAsync(HttpContext context, int status, string type, string message, string? code = null, string? param = null) =>
        ErrorResults.For(context, status, type, message, param, code).ExecuteAsync(context);
}
