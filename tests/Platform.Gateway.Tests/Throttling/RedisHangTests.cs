using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.TestKit;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>
/// A hung Redis (process stopped with SIGSTOP: the socket stays open, every command times out with a
/// RedisTimeoutException, which is a TimeoutException and not a RedisException) must not stop the host.
/// Uses its own Redis, never the shared fixture's.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisHangTests(GatewayStores stores) : IAsyncLifetime
{
    private readonly RedisFixture _redis = new();
    private GatewayHost _gateway = null!;
    private bool _stopped;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _gateway = new GatewayHost(stores, new Dictionary<string, string?> { ["Gateway:Throttling:LocalFallbackFraction"] = "0.5" }, _redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_stopped)
        {
            Signal("CONT");
        }
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_hung_redis_leaves_the_host_running_enterprise_served_consumers_refused_and_health_degraded()
    {
        var consumer = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var enterprise = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        using var consumerClient = _gateway.WithKey((await _gateway.CreateKeyAsync(consumer.Id)).SecretKey);
        using var enterpriseClient = _gateway.WithKey((await _gateway.CreateKeyAsync(enterprise.Id)).SecretKey);
        var doomed = await _gateway.CreateKeyAsync(enterprise.Id);
        using var doomedClient = _gateway.WithKey(doomed.SecretKey);
        Assert.Equal(HttpStatusCode.OK, (await consumerClient.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await doomedClient.GetAsync("/v1/models")).StatusCode);
        var lifetime = _gateway.Services.GetRequiredService<IHostApplicationLifetime>();

        Signal("STOP");
        _stopped = true;
        // The share monitor polls every second with 1 s timeouts: give it several timeouts to survive.
        await Task.Delay(TimeSpan.FromSeconds(3.5));

        using (var refused = await consumerClient.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            using var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("limiter_unavailable", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.Contains("shared rate limiter is unreachable", doc.RootElement.GetProperty("error").GetProperty("message").GetString());
        }
        for (var i = 0; i < 3; i++)
        {
            using var served = await enterpriseClient.GetAsync("/v1/models");
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        // A portal session token is looked up in Redis: a clear 503, not a 500.
        using (var portalClient = _gateway.WithKey(Platform.Services.Gateway.Security.PortalSessions.TokenPrefix + new string('a', 43)))
        using (var portal = await portalClient.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, portal.StatusCode);
        }
        // A revoke commits in PostgreSQL; its pub/sub notice times out, which must not turn into a 500.
        using (var admin = _gateway.Admin())
        using (var revoke = await admin.DeleteAsync($"/api/tenants/{enterprise.Id}/keys/{doomed.Key.Id}"))
        {
            Assert.True(revoke.IsSuccessStatusCode, $"revoke answered {(int)revoke.StatusCode}");
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await doomedClient.GetAsync("/v1/models")).StatusCode);
        using (var health = await _gateway.CreateClient().GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("Degraded", report.RootElement.GetProperty("status").GetString());
        }
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the hung Redis stopped the gateway host");

        Signal("CONT");
        _stopped = false;
        var status = HttpStatusCode.ServiceUnavailable;
        for (var i = 0; i < 100 && status != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            using var response = await consumerClient.GetAsync("/v1/models");
            status = response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the gateway host stopped after the hang ended");
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_redis.Server.Pid}") { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
