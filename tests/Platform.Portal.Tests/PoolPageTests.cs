using Microsoft.Playwright;

namespace Platform.Portal.Tests;

[Collection(nameof(PortalCollection))]
public sealed class PoolPageTests(PortalFixture portal)
{
    [Fact]
    public async Task A_platform_admin_sees_the_pools_devices_utilisation_and_share()
    {
        var page = await portal.NewPageAsync(portal.PlatformAdminEmail);
        await page.GetByRole(AriaRole.Link, new() { Name = "GPU pool" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("pool-node")).ToContainTextAsync("portal-test-node");
        await Assertions.Expect(page.GetByTestId("pool-utilization")).ToContainTextAsync("%");
        // The CPU device reports this machine's memory, and the scheduler's first cycle publishes a share.
        await Assertions.Expect(page.GetByTestId("pool-node")).Not.ToContainTextAsync("/ 0.0 GiB");
        await Assertions.Expect(page.GetByTestId("pool-share")).ToContainTextAsync("%", new() { Timeout = 15000 });
        await Assertions.Expect(page.GetByTestId("pool-error")).ToHaveCountAsync(0);
        // Utilisation over time: the page samples /api/pool every 5 s while it is open.
        await Assertions.Expect(page.GetByTestId("pool-history")).ToContainTextAsync("memory allocated");
        await Assertions.Expect(page.GetByTestId("pool-samples")).ToHaveTextAsync("2 samples", new() { Timeout = 15000 });
        await portal.ScreenshotAsync(page, "pool");
    }

    [Fact]
    public async Task A_tenant_admin_neither_sees_the_link_nor_can_open_the_page()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "GPU pool" })).ToHaveCountAsync(0);
        await page.GotoAsync("/pool");
        await Assertions.Expect(page.GetByText("Not allowed")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("pool-node")).ToHaveCountAsync(0);
    }
}
