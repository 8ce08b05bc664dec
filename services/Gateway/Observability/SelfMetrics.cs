namespace Platform.Services.Gateway.Observability;

/// <summary>
/// The gateway's own Prometheus exposition, produced in process by running the <c>/metrics</c>
/// endpoint that ServiceDefaults maps (OpenTelemetry's exporter) against a private request: no
/// loopback HTTP call, and no need to know which address the gateway listens on.
/// </summary>
public sealed class SelfMetrics(EndpointDataSource endpoints, IServiceProvider services)
{
    public const string Path = "/metrics";

    public async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        var endpoint = endpoints.Endpoints.OfType<RouteEndpoint>()
            .FirstOrDefault(e => string.Equals(e.RoutePattern.RawText?.TrimEnd('/'), Path, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"The gateway maps no {Path} endpoint.");
        var handler = endpoint.RequestDelegate ?? throw new InvalidOperationException($"The {Path} endpoint has no handler.");
        var context = new DefaultHttpContext { RequestServices = services, RequestAborted = cancellationToken };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = Path;
        using var body = new MemoryStream();
        context.Response.Body = body;
        await handler(context);
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"The {Path} endpoint answered {context.Response.StatusCode}.");
        }
        body.Position = 0;
        using var reader = new StreamReader(body);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
