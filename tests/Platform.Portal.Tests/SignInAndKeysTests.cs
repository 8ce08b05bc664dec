using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Platform.Portal.Tests;

[Collection(nameof(PortalCollection))]
public sealed class SignInAndKeysTests(PortalFixture portal)
{
    [Fact]
    public async Task A_tenant_admin_signs_in_creates_a_key_sees_it_once_and_revokes_it()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(portal.TenantName);
        await Assertions.Expect(page.GetByTestId("role")).ToHaveTextAsync("tenant_admin");
        await portal.ScreenshotAsync(page, "overview");

        await page.GotoAsync("/keys");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("browser-made key");
        await page.GetByTestId("create-key").ClickAsync();
        var secret = page.GetByTestId("new-key-secret");
        await Assertions.Expect(secret).ToContainTextAsync("pk_live_");
        await Assertions.Expect(page.GetByTestId("keys-table")).ToContainTextAsync("browser-made key");
        await portal.ScreenshotAsync(page, "keys");

        var secretText = await secret.InnerTextAsync();
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("keys-table")).ToContainTextAsync("browser-made key");
        Assert.DoesNotContain(secretText, await page.ContentAsync());

        // The fixture's key lives in the same tenant (one fixture for the project): revoke only this one.
        var row = page.GetByTestId("keys-table").Locator("tr", new() { HasText = "browser-made key" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("revoked");
    }

    [Fact]
    public async Task A_wrong_password_gets_a_generic_message_and_repeated_failures_lock_the_account()
    {
        var page = await portal.NewPageAsync();
        var email = "nobody-" + Guid.NewGuid().ToString("N") + "@example.com";
        await PortalFixture.SignInAsync(page, email, "wrong password here");
        await Assertions.Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Invalid email or password.");
        await portal.ScreenshotAsync(page, "sign-in-error");

        for (var i = 0; i < 5; i++)
        {
            await PortalFixture.SignInAsync(page, email, "wrong password here");
        }
        await Assertions.Expect(page.GetByTestId("login-error")).ToContainTextAsync("Too many failed sign-ins");
    }

    [Fact]
    public async Task A_member_sees_the_keys_but_cannot_create_or_revoke_them()
    {
        var page = await portal.NewPageAsync(portal.MemberEmail);
        await page.GotoAsync("/keys");
        await Assertions.Expect(page.GetByTestId("keys-table")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("create-key")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Pages_need_a_sign_in_and_come_back_after_it()
    {
        var page = await portal.NewPageAsync();
        await page.GotoAsync("/keys");
        await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));
        await page.FillAsync("#email", portal.AdminEmail);
        await page.FillAsync("#password", PortalFixture.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(portal.PortalUrl + "/keys");
        await Assertions.Expect(page.GetByTestId("keys-table")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_copy_button_puts_the_secret_shown_once_on_the_clipboard()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = portal.PortalUrl });
        var secret = await CreateKeyAsync(page, "copied key");
        await page.GetByTestId("copy-key").ClickAsync();
        await Assertions.Expect(page.GetByText("Copied.")).ToBeVisibleAsync();
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await Assertions.Expect(page.GetByTestId("copy-failed")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_refused_clipboard_leaves_the_secret_selected_with_a_message_and_the_page_working()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        // What a non-secure origin or a denied permission does: writeText rejects.
        await page.Context.AddInitScriptAsync("""
            Object.defineProperty(navigator, 'clipboard', { configurable: true,
              value: { writeText: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) } });
            """);
        var secret = await CreateKeyAsync(page, "uncopyable key");
        await page.GetByTestId("copy-key").ClickAsync();
        await Assertions.Expect(page.GetByTestId("copy-failed")).ToHaveTextAsync("Copy failed — select and copy the key.");
        await page.WaitForFunctionAsync(
            "s => { const e = document.activeElement; return e && e.value === s && e.selectionStart === 0 && e.selectionEnd === s.length; }", secret);
        await Assertions.Expect(page.GetByTestId("new-key-secret")).ToHaveTextAsync(secret);

        // The circuit lived through it: the page still creates keys.
        var next = await CreateKeyAsync(page, "after the refused copy");
        Assert.NotEqual(secret, next);
        await Assertions.Expect(page.GetByTestId("copy-failed")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_key_created_with_scopes_and_an_expiry_is_listed_with_them()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        await page.GotoAsync("/keys");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("scoped key");
        // Default scopes are inference and rag: swap rag for ingest.
        await ChatPlaygroundTests.Select(page, "key-scopes").ClickAsync();
        await page.GetByRole(AriaRole.Option).Filter(new() { HasTextRegex = new Regex(@"^\s*rag\s*$") }).ClickAsync();
        var ingest = page.GetByRole(AriaRole.Option).Filter(new() { HasTextRegex = new Regex(@"^\s*ingest\s*$") });
        await ingest.ClickAsync();
        await Assertions.Expect(ingest).ToHaveAttributeAsync("aria-selected", "true");
        await ChatPlaygroundTests.CloseOptionsAsync(page);
        await page.GetByLabel("Expires in days (empty: never)").FillAsync("30");
        await page.GetByLabel("Expires in days (empty: never)").PressAsync("Tab");
        var expires = new[] { 30, 31 }.Select(d => DateTimeOffset.UtcNow.AddDays(d).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        // The hint is rendered by the server from the bound value: the circuit has the 30 days before Create is clicked.
        await Assertions.Expect(page.GetByText(new Regex("expires on (" + string.Join("|", expires) + ")"))).ToBeVisibleAsync();
        await page.GetByTestId("create-key").ClickAsync();
        await Assertions.Expect(page.GetByTestId("new-key-secret")).ToContainTextAsync("pk_live_");

        await page.ReloadAsync();
        var row = page.GetByTestId("keys-table").Locator("tr", new() { HasText = "scoped key" });
        await Assertions.Expect(row).ToContainTextAsync("inference");
        await Assertions.Expect(row).ToContainTextAsync("ingest");
        await Assertions.Expect(row).Not.ToContainTextAsync("rag");
        await Assertions.Expect(row).ToContainTextAsync(new Regex(string.Join("|", expires)));
        await Assertions.Expect(row).ToContainTextAsync("active");
    }

    /// <summary>Creates a key on the keys page; returns the secret shown once.</summary>
    private static async Task<string> CreateKeyAsync(IPage page, string name)
    {
        if (!page.Url.EndsWith("/keys", StringComparison.Ordinal))
        {
            await page.GotoAsync("/keys");
        }
        var previous = await page.GetByTestId("new-key-secret").CountAsync() > 0 ? await page.GetByTestId("new-key-secret").InnerTextAsync() : null;
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByTestId("create-key").ClickAsync();
        var secret = page.GetByTestId("new-key-secret");
        await Assertions.Expect(secret).ToContainTextAsync("pk_live_");
        if (previous is not null)
        {
            await Assertions.Expect(secret).Not.ToHaveTextAsync(previous);
        }
        await Assertions.Expect(page.GetByTestId("keys-table")).ToContainTextAsync(name);
        return (await secret.InnerTextAsync()).Trim();
    }
}
