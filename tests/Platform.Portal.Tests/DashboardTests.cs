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
        // Per key: requests, 429s and latency percentiles; charts of latency per day and of requests and 429s by key.
        await Assertions.Expect(byKey).ToContainTextAsync("429s");
        await Assertions.Expect(byKey).ToContainTextAsync("p95 ms");
        await Assertions.Expect(page.GetByTestId("latency-chart")).ToContainTextAsync("p95");
        await Assertions.Expect(page.GetByTestId("requests-chart")).ToContainTextAsync("429s");
        await Assertions.Expect(page.GetByTestId("tokens-chart").Locator("svg")).ToHaveCountAsync(1);

        // The plan (the seeded tenant is on enterprise) and what of each limit is in use now.
        await Assertions.Expect(page.GetByTestId("plan")).ToHaveTextAsync("enterprise");
        await Assertions.Expect(page.GetByTestId("limit-requests_per_minute")).ToContainTextAsync("of 6,000");
        await Assertions.Expect(page.GetByTestId("limit-tokens_per_minute")).ToContainTextAsync("of 6,000,000");
        await Assertions.Expect(page.GetByTestId("limit-concurrent_requests")).ToContainTextAsync("of 256");
        await Assertions.Expect(page.GetByTestId("limit-sessions")).ToContainTextAsync("of 1,024");
        // The application's call above went through the limiter within the last minute.
        var requests = await page.GetByTestId("limit-requests_per_minute").InnerTextAsync();
        Assert.Matches(@"Requests per minute: [1-9][\d,]* of 6,000", requests);
        await portal.ScreenshotAsync(page, "overview-usage");
    }

    [Fact]
    public async Task A_request_the_gateway_itself_refuses_with_429_counts_in_the_keys_429s()
    {
        // A tenant on the 'free' plan (20 requests a minute): the 21st request in the minute is refused by the gateway's limiter.
        var (email, key) = await portal.SeedTenantAsync("free");
        using (var app = new HttpClient { BaseAddress = new Uri(portal.GatewayUrl) })
        {
            app.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.SecretKey);
            var refused = 0;
            for (var i = 0; i < 60 && refused == 0; i++)
            {
                using var response = await app.GetAsync("/v1/models");
                if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
                {
                    refused++;
                    Assert.Contains("rate_limit_exceeded", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }
            }
            Assert.Equal(1, refused);
        }

        var page = await portal.NewPageAsync(email);
        var row = page.GetByTestId("usage-by-key").Locator("tr", new() { HasText = key.Key.Id });
        for (var attempt = 0; attempt < 20 && await row.CountAsync() == 0; attempt++)
        {
            // Usage is written in batches; reload until the batch has landed.
            await Task.Delay(500);
            await page.ReloadAsync();
            await page.GetByText("Usage, last").WaitForAsync();
        }
        await Assertions.Expect(row.GetByTestId("rate-limited")).ToHaveTextAsync("1");
    }
}
