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
}
