using System.Net;

namespace Platform.Portal.Hosting;

/// <summary>
/// The proxies whose <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> the portal believes
/// (<c>Portal:ForwardedHeaders:*</c>). With neither list set, only loopback is trusted: the gateway of the
/// local platform. Setting either replaces loopback, so production names its gateway's addresses exactly.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Single addresses, e.g. <c>10.0.3.7</c> or <c>::1</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks in CIDR notation, e.g. <c>10.0.0.0/16</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    public bool IsConfigured => KnownProxies.Length > 0 || KnownNetworks.Length > 0;

    /// <summary>True when every entry parses; a wrong entry stops the start instead of trusting less (or more) than meant.</summary>
    public bool IsValid() =>
        KnownProxies.All(p => IPAddress.TryParse(p, out _)) && KnownNetworks.All(n => IPNetwork.TryParse(n, out _));
}
