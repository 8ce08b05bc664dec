using System.Net;
using System.Net.Http.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>Consumer traffic stays inside the Scheduler's admission share, shared fairly; enterprise keeps its plan rate.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConsumerShareTests(GatewayStores stores) : IAsyncLifetime
{
    private const string ShareKey = "pool:admission:consumer";
    private GatewayHost _gateway = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString);
        // 20% of a 10-request pool: two consumer requests at a time, across every replica.
        await _redis.GetDatabase().StringSetAsync(ShareKey, """{"fraction":0.2,"reason":"test"}""");
        _gateway = new GatewayHost(stores, new Dictionary<string, string?>
        {
            ["Gateway:Throttling:PoolConcurrency"] = "10",
            ["Gateway:Throttling:QueueTimeoutMs"] = "4000",
        });
        _gateway.CreateClient().Dispose();
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.GetDatabase().KeyDeleteAsync(ShareKey);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Under_a_consumer_flood_enterprise_is_admitted_at_its_plan_rate()
    {
        var noisy = await _gateway.CreateTenantAsync(Tiers.Consumer, "pro");
        var noisyKey = await _gateway.CreateKeyAsync(noisy.Id);
        var enterprise = await _gateway.CreateTenantAsync(Tiers.Enterprise, "default");
        var enterpriseKey = await _gateway.CreateKeyAsync(enterprise.Id);
        using var consumer = _gateway.WithKey(noisyKey.SecretKey);
        using var business = _gateway.WithKey(enterpriseKey.SecretKey);

        // The flood: 12 slow consumer requests at once; only 2 fit the share, the rest wait in the fair queue.
        var flood = Enumerable.Range(0, 12).Select(_ => consumer.PostAsJsonAsync("/v1/chat/completions",
            new { model = "m", messages = new[] { new { role = "user", content = "hi" } }, test_delay_ms = 1500 })).ToList();
        await WaitForAsync(async () => await _redis.GetDatabase().SortedSetLengthAsync("{gw}:cpool") == 2);

        // The enterprise tenant's plan allows 60 requests per minute: all of them go through meanwhile.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
        {
            using var response = await business.GetAsync("/v1/models");
            statuses.Add(response.StatusCode);
        }
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(await _redis.GetDatabase().SortedSetLengthAsync("{gw}:cpool") <= 2);

        var results = await Task.WhenAll(flood);
        Assert.Equal(12, results.Length);
        Assert.Contains(results, r => r.StatusCode == HttpStatusCode.OK);
        var refused = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.Contains("capacity for consumer traffic", await refused[0].Content.ReadAsStringAsync());
        Assert.All(results, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task A_noisy_consumer_cannot_keep_the_whole_share_from_a_quiet_one()
    {
        var noisy = await _gateway.CreateTenantAsync(Tiers.Consumer, "pro");
        var quiet = await _gateway.CreateTenantAsync(Tiers.Consumer, "pro");
        using var noisyClient = _gateway.WithKey((await _gateway.CreateKeyAsync(noisy.Id)).SecretKey);
        using var quietClient = _gateway.WithKey((await _gateway.CreateKeyAsync(quiet.Id)).SecretKey);
        var slow = new { model = "m", messages = new[] { new { role = "user", content = "hi" } }, test_delay_ms = 800 };

        // The noisy tenant alone takes the whole share (2) and keeps 6 more waiting.
        var noisyCalls = Enumerable.Range(0, 8).Select(_ => noisyClient.PostAsJsonAsync("/v1/chat/completions", slow)).ToList();
        await WaitForAsync(async () => await _redis.GetDatabase().SortedSetLengthAsync("{gw}:cpool") == 2);
        var quietCall = quietClient.PostAsJsonAsync("/v1/chat/completions", slow);

        // When a slot frees, the quiet tenant's turn comes before the noisy tenant's queue drains.
        using var quietResponse = await quietCall;
        Assert.Equal(HttpStatusCode.OK, quietResponse.StatusCode);
        // FIFO would serve all 8 noisy requests (four rounds of 800 ms) first; fair sharing lets the quiet one in with the second round.
        var noisyDone = noisyCalls.Count(c => c.IsCompleted);
        Assert.True(noisyDone <= 4, $"the quiet tenant was served only after {noisyDone} noisy requests");
        await Task.WhenAll(noisyCalls);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 250; i++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(20);
        }
        Assert.Fail("condition not reached");
    }
}
