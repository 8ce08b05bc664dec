using System.Net;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>The limiter runs its scripts by SHA1; a Redis that forgot them (restart, SCRIPT FLUSH) gets them again.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ScriptCacheTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        _gateway.CreateClient().Dispose();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Requests_are_admitted_and_counted_after_the_server_flushed_its_scripts()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise, "default");
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        using (var first = await client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        await server.ScriptFlushAsync();
        using var second = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        // Both admissions were recorded by the script: the remaining-requests header counts them.
        Assert.Equal("58", second.Headers.GetValues("x-ratelimit-remaining-requests").Single());
    }
}
