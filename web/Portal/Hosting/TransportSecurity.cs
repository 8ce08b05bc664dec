using System.Net;
using Microsoft.AspNetCore.CookiePolicy;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Platform.Portal.Hosting;

/// <summary>
/// What makes the portal's cookies Secure when the browser's connection is TLS. The gateway's
/// <c>X-Forwarded-Proto</c>/<c>-For</c> are believed from the configured proxies only, so a request that reached
/// the gateway over https is https here; a cookie policy then marks every cookie the portal writes (the
/// session's and antiforgery's, whose own default is never Secure) Secure on https requests, or on every
/// request with <c>Portal:RequireSecureCookies</c>. The policy rewrites the cookies as they are appended,
/// so antiforgery keeps working on an http hop behind a TLS terminator (its own
/// <see cref="CookieSecurePolicy.Always"/> would refuse to issue tokens on any request it sees as http).
/// </summary>
public static class TransportSecurity
{
    public static WebApplicationBuilder AddTransportSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersSettings>()
            .Bind(builder.Configuration.GetSection("Portal:ForwardedHeaders"))
            .Validate(s => s.IsValid(), "Portal:ForwardedHeaders: KnownProxies must be IP addresses and KnownNetworks CIDR networks (e.g. 10.0.0.0/16).")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((o, settings) => Trust(o, settings.Value));
        builder.Services.AddOptions<CookiePolicyOptions>().Configure<IOptions<PortalOptions>>((o, portal) =>
            o.Secure = portal.Value.RequireSecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest);
        return builder;
    }

    /// <summary>First in the pipeline: the scheme and client address as the trusted proxy saw them, then the cookie policy.</summary>
    public static WebApplication UseTransportSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseCookiePolicy();
        return app;
    }

    private static void Trust(ForwardedHeadersOptions o, ForwardedHeadersSettings settings)
    {
        // The gateway keeps the browser's Host; believing X-Forwarded-Host would let a client choose it.
        o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        if (!settings.IsConfigured)
        {
            return; // ASP.NET Core's defaults: 127.0.0.0/8 and ::1, the local platform's gateway
        }
        o.KnownProxies.Clear();
        o.KnownIPNetworks.Clear();
        foreach (var proxy in settings.KnownProxies)
        {
            if (IPAddress.TryParse(proxy, out var address))
            {
                o.KnownProxies.Add(address);
            }
        }
        foreach (var network in settings.KnownNetworks)
        {
            if (System.Net.IPNetwork.TryParse(network, out var parsed))
            {
                o.KnownIPNetworks.Add(parsed);
            }
        }
    }
}
