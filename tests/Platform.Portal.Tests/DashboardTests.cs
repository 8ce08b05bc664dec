using System.Net.Http.Headers;
using Microsoft.Playwright;

namespace Platform.Portal.Tests;

[Collection(nameof(PortalCollection))]
public sealed class DashboardTests(PortalFixture portal)
{
    [Fact]
    public async Task The_overview_shows_the_tenants_usage_by_key_from_the_gateways_metering()
    {
        // A request through the gateway with the tenant's key, metered by the gateway.
        using (var app = new HttpClient { BaseAddress = new Uri(portal.GatewayUrl) })
        {
            app.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.ApiKey.SecretKey);
            using var response = await app.GetAsync("/v1/models");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var page = await portal.NewPageAsync(portal.MemberEmail);
        var byKey = page.GetByTestId("usage-by-key");
        for (var attempt = 0; attempt < 20 && await byKey.CountAsync() == 0; attempt++)
        {
            // Usage is written in batches; reload until the batch has landed.
            await Task.Delay(500);
            await page.ReloadAsync();
            await page.GetByText("Usage, last").WaitForAsync();
        }
        await portal.ScreenshotAsync(page, "overview-usage");
        await Assertions.Expect(byKey).ToContainTextAsync(portal.ApiKey.Key.Id);
        await portal.ScreenshotAsync(page, "overview-usage");
    }
}
