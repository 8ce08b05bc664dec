using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Platform.Services.Gateway.Hosting;

/// <summary>
/// The proxies in front of the gateway (a TLS-terminating load balancer, an ingress) whose
/// <c>X-Forwarded-Proto</c>/<c>-For</c> it believes: <c>Gateway:ForwardedHeaders:KnownProxies</c> (addresses) and
/// <c>KnownNetworks</c> (CIDR). Unset, the gateway is the public door and believes nobody. Believed, the request's
/// scheme and client address are the ones the proxy saw, so YARP's X-Forwarded-* to the services (set from the
/// gateway's own view, replacing what came in) say https for a request that reached the load balancer over TLS,
/// and the portal marks its cookies Secure. A wrong entry stops the start.
/// </summary>
public static class TrustedProxies
{
    public const string Section = "Gateway:ForwardedHeaders";

    public static WebApplicationBuilder AddTrustedProxies(this WebApplicationBuilder builder)
    {
        var proxies = Values(builder.Configuration, "KnownProxies")
            .Select(v => IPAddress.TryParse(v, out var address) ? address : throw Wrong("KnownProxies", v)).ToList();
        var networks = Values(builder.Configuration, "KnownNetworks")
            .Select(v => System.Net.IPNetwork.TryParse(v, out var network) ? network : throw Wrong("KnownNetworks", v)).ToList();
        if (proxies.Count == 0 && networks.Count == 0)
        {
            return builder;
        }
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Host is not taken over: the gateway routes and the portal sets cookies by the Host the client sent.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            proxies.ForEach(o.KnownProxies.Add);
            networks.ForEach(o.KnownIPNetworks.Add);
        });
        builder.Services.AddTransient<IStartupFilter, ForwardedHeadersFirst>();
        return builder;
    }

    private static IEnumerable<string> Values(IConfiguration configuration, string key) =>
        (configuration.GetSection($"{Section}:{key}").Get<string[]>() ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim());

    private static InvalidOperationException Wrong(string key, string value) =>
        new($"{Section}:{key}: '{value}' does not parse (addresses like 10.0.3.7, networks like 10.0.0.0/16).");

    /// <summary>Runs the middleware before anything else of the pipeline, routing included.</summary>
    private sealed class ForwardedHeadersFirst : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseForwardedHeaders();
            next(app);
        };
    }
}
