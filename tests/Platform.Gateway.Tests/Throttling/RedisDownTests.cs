using System.Net;
using System.Text.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.TestKit;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>With Redis gone the gateway fails closed for consumers, keeps enterprise on a local limiter, and says so.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisDownTests(GatewayStores stores) : IAsyncLifetime
{
    private readonly RedisFixture _redis = new();
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _gateway = new GatewayHost(stores, new Dictionary<string, string?> { ["Gateway:Throttling:LocalFallbackFraction"] = "0.1" }, _redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Consumers_get_503_enterprise_continues_under_a_local_limit_and_health_is_degraded()
    {
        var consumer = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var enterprise = await _gateway.CreateTenantAsync(Tiers.Enterprise, "default");
        using var consumerClient = _gateway.WithKey((await _gateway.CreateKeyAsync(consumer.Id)).SecretKey);
        using var enterpriseClient = _gateway.WithKey((await _gateway.CreateKeyAsync(enterprise.Id)).SecretKey);
        Assert.Equal(HttpStatusCode.OK, (await consumerClient.GetAsync("/v1/models")).StatusCode);
        using (var health = await _gateway.CreateClient().GetAsync("/health/ready"))
        {
            Assert.Contains("\"Healthy\"", await health.Content.ReadAsStringAsync());
        }

        await _redis.DisposeAsync();

        using (var refused = await consumerClient.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            using var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("limiter_unavailable", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        // The default plan's 60 requests per minute at the 0.1 local fallback: 6 per replica, then 429.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await enterpriseClient.GetAsync("/v1/models");
            statuses.Add(response.StatusCode);
        }
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        using var degraded = await _gateway.CreateClient().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
        using var report = JsonDocument.Parse(await degraded.Content.ReadAsStringAsync());
        Assert.Equal("Degraded", report.RootElement.GetProperty("status").GetString());
    }
}
