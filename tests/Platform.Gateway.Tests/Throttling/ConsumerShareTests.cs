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

    /// <summary>
    /// The share is split by the plans' queue weights (pro 4, free 1): while both wait, the pro tenant holds up
    /// to 4 of the 5 consumer slots and the free tenant 1, where equal shares would give each up to 3.
    /// </summary>
    [Fact]
    public async Task The_consumer_share_is_split_by_plan_weight_while_both_tenants_wait()
    {
        await using var gateway = new GatewayHost(stores, new Dictionary<string, string?>
        {
            // 20% of a 25-request pool: five consumer slots.
            ["Gateway:Throttling:PoolConcurrency"] = "25",
            ["Gateway:Throttling:QueueTimeoutMs"] = "6000",
        });
        var pro = await gateway.CreateTenantAsync(Tiers.Consumer, "pro");
        var free = await gateway.CreateTenantAsync(Tiers.Consumer, "free");
        using var proClient = gateway.WithKey((await gateway.CreateKeyAsync(pro.Id)).SecretKey);
        using var freeClient = gateway.WithKey((await gateway.CreateKeyAsync(free.Id)).SecretKey);
        var slow = new { model = "m", messages = new[] { new { role = "user", content = "hi" } }, test_delay_ms = 1000 };
        var db = _redis.GetDatabase();
        async Task<(int Pro, int Free)> HoldersAsync()
        {
            var members = (await db.SortedSetRangeByScoreAsync("{gw}:cpool", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), double.PositiveInfinity))
                .Select(m => m.ToString()).ToList();
            return (members.Count(m => m.StartsWith(pro.Id.ToString(), StringComparison.Ordinal)),
                members.Count(m => m.StartsWith(free.Id.ToString(), StringComparison.Ordinal)));
        }

        // The pro tenant alone takes all five slots; then the free tenant starts waiting too.
        var proCalls = Enumerable.Range(0, 12).Select(_ => proClient.PostAsJsonAsync("/v1/chat/completions", slow)).ToList();
        await WaitForAsync(async () => (await HoldersAsync()).Pro == 5);
        var freeCalls = Enumerable.Range(0, 4).Select(_ => freeClient.PostAsJsonAsync("/v1/chat/completions", slow)).ToList();

        // Over the next rounds the free tenant gets its one slot, never a second while pro waits, and pro keeps four.
        var samples = new List<(int Pro, int Free)>();
        for (var i = 0; i < 50 && proCalls.Any(c => !c.IsCompleted); i++)
        {
            samples.Add(await HoldersAsync());
            await Task.Delay(40);
        }
        await Task.WhenAll(proCalls.Concat(freeCalls));
        Assert.Contains(samples, s => s is { Pro: 4, Free: 1 });
        Assert.All(samples.Where(s => s.Pro > 0), s => Assert.True(s.Free <= 1, $"the free tenant held {s.Free} slots while pro waited"));
        Assert.All(samples, s => Assert.True(s.Pro + s.Free <= 5));
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
