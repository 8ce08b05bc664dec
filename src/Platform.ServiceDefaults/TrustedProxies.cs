using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults;

/// <summary>
/// The proxies whose <c>X-Forwarded-Proto</c>/<c>-For</c> a service believes: <c>{section}:KnownProxies</c>
/// (addresses) and <c>{section}:KnownNetworks</c> (CIDR). Believed, the request's scheme and client address are
/// the ones the proxy saw: https for a request that reached a TLS terminator, so cookies can be marked Secure
/// and YARP's own X-Forwarded-* onward (set from what the gateway saw) say https too. <c>X-Forwarded-Host</c> is
/// never taken over: the gateway keeps the browser's Host, and believing the header would let a client choose
/// it. A wrong entry stops the start rather than trusting less, or more, than meant. The middleware runs first in
/// the pipeline, before routing.
/// </summary>
public static class TrustedProxies
{
    /// <summary>
    /// Believes the proxies configured under <paramref name="section"/>. With none configured, a service behind the
    /// local gateway (<paramref name="loopbackWhenUnset"/>) believes loopback (ASP.NET Core's default), and the
    /// public door believes nobody.
    /// </summary>
    public static WebApplicationBuilder AddTrustedProxies(this WebApplicationBuilder builder, string section, bool loopbackWhenUnset)
    {
        var proxies = Values(builder.Configuration, section, "KnownProxies")
            .Select(v => IPAddress.TryParse(v, out var address) ? address : throw Wrong(section, "KnownProxies", v)).ToList();
        var networks = Values(builder.Configuration, section, "KnownNetworks")
            .Select(v => System.Net.IPNetwork.TryParse(v, out var network) ? network : throw Wrong(section, "KnownNetworks", v)).ToList();
        var configured = proxies.Count > 0 || networks.Count > 0;
        if (!configured && !loopbackWhenUnset)
        {
            return builder;
        }
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            if (configured)
            {
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
                proxies.ForEach(o.KnownProxies.Add);
                networks.ForEach(o.KnownIPNetworks.Add);
            }
        });
        builder.Services.AddTransient<IStartupFilter, ForwardedHeadersFirst>();
        return builder;
    }

    private static IEnumerable<string> Values(IConfiguration configuration, string section, string key) =>
        (configuration.GetSection($"{section}:{key}").Get<string[]>() ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim());

    private static InvalidOperationException Wrong(string section, string key, string value) =>
        new($"{section}:{key}: '{value}' does not parse (addresses like 10.0.3.7, networks like 10.0.0.0/16).");

    private sealed class ForwardedHeadersFirst : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseForwardedHeaders();
            next(app);
        };
    }
}
