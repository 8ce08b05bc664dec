using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.Gateway.Tests.Fixtures;
using Platform.LocalInfra;

namespace Platform.Gateway.Tests.Proxy;

/// <summary>
/// What the portal behind the gateway is told about the browser's connection (X-Forwarded-Proto/-For, which YARP
/// sets from the gateway's own view): the client's claims count only when it is one of
/// <c>Gateway:ForwardedHeaders</c>'s proxies (a TLS terminator in front). Gateways on Kestrel, so the client
/// address is real; a small upstream stands in for the portal and echoes what it received.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TrustedProxiesTests(GatewayStores stores) : IAsyncLifetime
{
    private WebApplication _portal = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _portal = builder.Build();
        _portal.MapGet("/account/login", (HttpContext c) => Results.Json(new
        {
            proto = c.Request.Headers["X-Forwarded-Proto"].ToString(),
            @for = c.Request.Headers["X-Forwarded-For"].ToString(),
        }));
        await _portal.StartAsync();
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Without_trusted_proxies_a_clients_forwarded_https_is_replaced_by_what_the_gateway_saw()
    {
        var (proto, forwardedFor) = await ForwardedToPortalAsync([]);
        Assert.Equal("http", proto);
        Assert.Equal("127.0.0.1", forwardedFor);
    }

    [Fact]
    public async Task A_trusted_proxys_https_and_client_address_reach_the_portal()
    {
        var (proto, forwardedFor) = await ForwardedToPortalAsync(new() { [$"{Section}:KnownNetworks:0"] = "127.0.0.0/8" });
        Assert.Equal("https", proto);
        Assert.Equal("203.0.113.7", forwardedFor);
    }

    [Fact]
    public async Task A_client_that_is_not_a_known_proxy_is_not_believed()
    {
        var (proto, forwardedFor) = await ForwardedToPortalAsync(new() { [$"{Section}:KnownProxies:0"] = "192.0.2.10" });
        Assert.Equal("http", proto);
        Assert.Equal("127.0.0.1", forwardedFor);
    }

    [Fact]
    public async Task A_known_proxy_that_does_not_parse_stops_the_start()
    {
        await using var gateway = new GatewayHost(stores, new Dictionary<string, string?>
        {
            ["Services:portal"] = _portal.Urls.First(),
            [$"{Section}:KnownProxies:0"] = "not-an-address",
        });
        var error = Assert.ThrowsAny<Exception>(() => gateway.CreateClient());
        Assert.Contains("Gateway:ForwardedHeaders:KnownProxies", error.ToString(), StringComparison.Ordinal);
    }

    private const string Section = "Gateway:ForwardedHeaders";

    private async Task<(string Proto, string For)> ForwardedToPortalAsync(Dictionary<string, string?> settings)
    {
        settings["Services:portal"] = _portal.Urls.First();
        var port = Ports.GetFree();
        await using var gateway = new GatewayHost(stores, settings);
        gateway.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        gateway.StartServer();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/login");
        // What a TLS-terminating load balancer in front would add.
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var seen = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (seen.RootElement.GetProperty("proto").GetString()!, seen.RootElement.GetProperty("for").GetString()!);
    }
}
