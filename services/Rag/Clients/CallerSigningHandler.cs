using Platform.ServiceDefaults.Identity;

namespace Platform.Services.Rag.Clients;

/// <summary>
/// Re-signs an outgoing call to another platform service for the caller of the current request, so
/// Ingestion and Inference apply that tenant's identity, scopes, priority and cache salt.
/// </summary>
public sealed class CallerSigningHandler(IHttpContextAccessor accessor, InternalSecret secret, TimeProvider time) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var caller = accessor.HttpContext?.GetCaller()
            ?? throw new InvalidOperationException("A call to another service needs the caller of the current request.");
        var headers = new Dictionary<string, string>();
        CallerHeaders.Write(headers, caller, request.Method.Method, request.RequestUri!.AbsolutePath, secret.Bytes, time.GetUtcNow());
        foreach (var (name, value) in headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>The named HTTP clients.</summary>
public static class ServiceClients
{
    public const string Ingestion = "ingestion";
    public const string Inference = "inference";

    /// <summary>The configured base URL of a service, or an error naming the setting.</summary>
    public static Uri BaseUrl(IConfiguration configuration, string service) =>
        Uri.TryCreate(configuration[$"Services:{service}"], UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException($"Services:{service} must be the base URL of the {service} service.");
}
