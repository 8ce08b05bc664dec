extern alias portal;

using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.LocalInfra;
using Platform.TestKit;

namespace Platform.Portal.Tests;

/// <summary>
/// The session and antiforgery cookies' flags, X-Forwarded-Proto believed from trusted proxies only,
/// Portal:RequireSecureCookies, and the antiforgery check of the sign-in form.
/// </summary>
[Collection(nameof(PortalCollection))]
public sealed class SecureCookieTests(PortalFixture portal)
{
    private const string SessionCookie = "platform.session";
    private const string AntiforgeryPrefix = ".AspNetCore.Antiforgery.";

    [Fact]
    public async Task After_sign_in_the_browser_holds_an_http_only_same_site_strict_session_cookie_not_secure_over_http()
    {
        var page = await portal.NewPageAsync(portal.MemberEmail);
        var cookies = await page.Context.CookiesAsync();

        var session = Assert.Single(cookies, c => c.Name == SessionCookie);
        Assert.True(session.HttpOnly);
        Assert.Equal(Microsoft.Playwright.SameSiteAttribute.Strict, session.SameSite);
        Assert.False(session.Secure);
        var antiforgery = Assert.Single(cookies, c => c.Name.StartsWith(AntiforgeryPrefix, StringComparison.Ordinal));
        Assert.True(antiforgery.HttpOnly);
        Assert.False(antiforgery.Secure);
    }

    [Fact]
    public async Task Https_forwarded_by_a_trusted_proxy_makes_both_cookies_secure()
    {
        // The fixture's portal sets no Portal:ForwardedHeaders: loopback (the local platform's gateway) is trusted.
        using var form = new FormSignIn(portal.PortalUrl, forwardedProto: "https");
        var session = await SignInAsync(form);

        Assert.True(session.Secure);
        Assert.True(session.HttpOnly);
        Assert.Equal("strict", session.SameSite);
        Assert.True(Antiforgery(form).Secure);
    }

    [Fact]
    public async Task Https_at_a_trusted_proxy_in_front_of_the_gateway_reaches_the_portal_and_its_cookies_are_secure()
    {
        // The whole chain: TLS terminator (this client, trusted by the fixture's gateway) → gateway → portal.
        using var form = new FormSignIn(portal.GatewayUrl, forwardedProto: "https");
        var session = await SignInAsync(form);

        Assert.True(session.Secure);
        Assert.True(Antiforgery(form).Secure);

        using var plain = new FormSignIn(portal.GatewayUrl);
        Assert.False((await SignInAsync(plain)).Secure);
    }

    [Fact]
    public async Task Https_forwarded_from_an_address_that_is_not_a_known_proxy_is_ignored()
    {
        // Known proxies set to another address replace loopback, so this test's own request is untrusted.
        await using var host = StartPortal(("Portal:ForwardedHeaders:KnownProxies:0", "192.0.2.10"));
        using var form = new FormSignIn(host.Url, forwardedProto: "https");
        var session = await SignInAsync(form);

        Assert.False(session.Secure);
        Assert.False(Antiforgery(form).Secure);
    }

    [Fact]
    public async Task RequireSecureCookies_marks_both_cookies_secure_over_plain_http()
    {
        await using var host = StartPortal(("Portal:RequireSecureCookies", "true"));
        using var form = new FormSignIn(host.Url);
        var session = await SignInAsync(form);

        Assert.True(session.Secure);
        Assert.True(session.HttpOnly);
        Assert.True(Antiforgery(form).Secure);
    }

    [Fact]
    public async Task A_sign_in_post_without_its_antiforgery_token_or_cookie_is_refused_with_400_and_no_session_cookie()
    {
        using var form = new FormSignIn(portal.PortalUrl);
        await form.OpenPageAsync();

        using (var noToken = await form.PostAsync(portal.MemberEmail, PortalFixture.Password, withToken: false))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
            Assert.DoesNotContain(SetCookie.From(noToken), c => c.Name == SessionCookie);
        }
        using (var noCookie = await form.PostAsync(portal.MemberEmail, PortalFixture.Password, withCookie: false))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noCookie.StatusCode);
            Assert.DoesNotContain(SetCookie.From(noCookie), c => c.Name == SessionCookie);
        }
        // The same post with both signs in: the 400s above were the antiforgery check, not the credentials.
        using var signedIn = await form.PostAsync(portal.MemberEmail, PortalFixture.Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Contains(SetCookie.From(signedIn), c => c.Name == SessionCookie);
    }

    [Fact]
    public void A_known_network_that_does_not_parse_stops_the_start()
    {
        var error = Assert.ThrowsAny<Exception>(() => StartPortal(("Portal:ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33")));
        Assert.Contains("Portal:ForwardedHeaders", error.ToString(), StringComparison.Ordinal);
    }

    private async Task<SetCookie> SignInAsync(FormSignIn form)
    {
        await form.OpenPageAsync();
        using var response = await form.PostAsync(portal.MemberEmail, PortalFixture.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return Assert.Single(SetCookie.From(response), c => c.Name == SessionCookie);
    }

    private static SetCookie Antiforgery(FormSignIn form) =>
        Assert.Single(form.PageCookies, c => c.Name.StartsWith(AntiforgeryPrefix, StringComparison.Ordinal));

    /// <summary>A second real portal on Kestrel beside the fixture's, on the same gateway, with <paramref name="settings"/>.</summary>
    private ExtraPortal StartPortal(params (string Key, string Value)[] settings)
    {
        var port = Ports.GetFree();
        var factory = new WebApplicationFactory<portal::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Services:gateway", portal.GatewayUrl);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        try
        {
            factory.StartServer();
        }
        catch
        {
            factory.Dispose();
            throw;
        }
        return new ExtraPortal(factory, $"http://127.0.0.1:{port}");
    }

    private sealed record ExtraPortal(WebApplicationFactory<portal::Program> Host, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }
}
