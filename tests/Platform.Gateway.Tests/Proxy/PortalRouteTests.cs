using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.Gateway.Tests.Fixtures;
using Platform.LocalInfra;

namespace Platform.Gateway.Tests.Proxy;

/// <summary>
/// The portal served through the gateway: a small upstream stands in for it (a page that echoes what it
/// received, and a WebSocket echo where Blazor's circuit lives), behind a gateway on Kestrel so the
/// WebSocket upgrade is real.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PortalRouteTests(GatewayStores stores) : IAsyncLifetime
{
    private WebApplication _portal = null!;
    private GatewayHost _gateway = null!;
    private string _gatewayUrl = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _portal = builder.Build();
        _portal.UseWebSockets();
        _portal.MapGet("/", EchoPage);
        _portal.MapGet("/keys", EchoPage);
        _portal.Map("/_blazor", EchoSocketAsync);
        await _portal.StartAsync();

        var port = Ports.GetFree();
        _gateway = new GatewayHost(stores, new Dictionary<string, string?> { ["Services:portal"] = _portal.Urls.First() });
        _gateway.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        _gateway.StartServer();
        _gatewayUrl = $"http://127.0.0.1:{port}";
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _portal.DisposeAsync();
    }

    [Fact]
    public async Task Portal_pages_pass_without_a_key_keep_the_browsers_host_and_carry_no_identity_a_client_sent()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_gatewayUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/keys?tab=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "pk_live_not_a_key");
        request.Headers.Add("X-Platform-Tenant", Guid.NewGuid().ToString());
        request.Headers.Add("Cookie", "platform.session=abc");
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var seen = page.RootElement;
        Assert.Equal("portal", seen.GetProperty("page").GetString());
        Assert.Equal("/keys", seen.GetProperty("path").GetString());
        Assert.Equal(new Uri(_gatewayUrl).Authority, seen.GetProperty("host").GetString());
        Assert.Equal("platform.session=abc", seen.GetProperty("cookie").GetString());
        Assert.Equal("", seen.GetProperty("authorization").GetString());
        Assert.Equal(0, seen.GetProperty("platform_headers").GetInt32());
        Assert.False(response.Headers.Contains("x-ratelimit-limit-requests"));

        using var home = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("\"path\":\"/\"", await home.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blazors_websocket_goes_through_the_gateway_both_ways()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(_gatewayUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/_blazor?id=circuit-1"), CancellationToken.None);
        foreach (var message in new[] { "hello", "second message" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal("echo: " + message, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task The_api_paths_stay_the_gateways_the_portal_gets_none_of_them()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_gatewayUrl) };
        // A proxied route still needs its key, an unknown /v1 or /api path is not a portal page, and the
        // gateway's own APIs answer themselves.
        using var models = await http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
        Assert.Contains("invalid_api_key", await models.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var path in new[] { "/v1/no-such-route", "/api/no-such-api", "/v1", "/api" })
        {
            using var unknown = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.DoesNotContain("\"page\"", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using var keys = await http.GetAsync("/api/keys");
        Assert.Equal(HttpStatusCode.Unauthorized, keys.StatusCode);
        using var tenants = await http.GetAsync("/api/tenants");
        Assert.Equal(HttpStatusCode.Unauthorized, tenants.StatusCode);
        using var health = await http.GetAsync("/health/ready");
        Assert.DoesNotContain("\"page\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_portal_url_the_gateway_has_no_portal_route()
    {
        await using var gateway = new GatewayHost(stores);
        using var http = gateway.CreateClient();
        foreach (var path in new[] { "/", "/keys" })
        {
            using var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    private static IResult EchoPage(HttpContext c) => Results.Json(new
    {
        page = "portal",
        path = c.Request.Path.Value,
        host = c.Request.Host.Value,
        cookie = c.Request.Headers.Cookie.ToString(),
        authorization = c.Request.Headers.Authorization.ToString(),
        platform_headers = c.Request.Headers.Keys.Count(k => k.StartsWith("X-Platform-", StringComparison.OrdinalIgnoreCase)),
    });

    private static async Task EchoSocketAsync(HttpContext c)
    {
        if (!c.WebSockets.IsWebSocketRequest)
        {
            c.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var socket = await c.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[256];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }
            var reply = Encoding.UTF8.GetBytes("echo: " + Encoding.UTF8.GetString(buffer, 0, received.Count));
            await socket.SendAsync(reply, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
    }
}
