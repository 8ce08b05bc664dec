using Microsoft.AspNetCore.CookiePolicy;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;

namespace Platform.Portal.Hosting;

/// <summary>
/// What makes the portal's cookies Secure when the browser's connection is TLS. The gateway's
/// <c>X-Forwarded-Proto</c>/<c>-For</c> are believed from the proxies in <c>Portal:ForwardedHeaders</c> only
/// (loopback, the local platform's gateway, when none are set; <see cref="TrustedProxies"/>), so a request that
/// reached the gateway over https is https here; a cookie policy then marks every cookie the portal writes (the
/// session's and antiforgery's, whose own default is never Secure) Secure on https requests, or on every
/// request with <c>Portal:RequireSecureCookies</c>. The policy rewrites the cookies as they are appended,
/// so antiforgery keeps working on an http hop behind a TLS terminator (its own
/// <see cref="CookieSecurePolicy.Always"/> would refuse to issue tokens on any request it sees as http).
/// </summary>
public static class TransportSecurity
{
    public static WebApplicationBuilder AddTransportSecurity(this WebApplicationBuilder builder)
    {
        builder.AddTrustedProxies("Portal:ForwardedHeaders", loopbackWhenUnset: true);
        builder.Services.AddOptions<CookiePolicyOptions>().Configure<IOptions<PortalOptions>>((o, portal) =>
            o.Secure = portal.Value.RequireSecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest);
        return builder;
    }

    /// <summary>The cookie policy (the forwarded headers were applied first in the pipeline).</summary>
    public static WebApplication UseTransportSecurity(this WebApplication app)
    {
        app.UseCookiePolicy();
        return app;
    }
}
