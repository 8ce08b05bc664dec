using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>Two gateway replicas on one Redis enforce one set of limits.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TwoReplicaTests(GatewayStores stores) : TwoGatewayHosts(stores)
{
    [Fact]
    public async Task A_60_rpm_key_gets_60_successes_across_both_replicas()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Enterprise, "pro");
        var key = await A.CreateKeyAsync(tenant.Id, new { name = "sixty", scopes = new[] { "inference" }, requests_per_minute = 60 });
        using var viaA = A.WithKey(key.SecretKey);
        using var viaB = B.WithKey(key.SecretKey);

        var statuses = new List<HttpResponseMessage>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var response = await (i % 2 == 0 ? viaA : viaB).GetAsync("/v1/models", ct);
            lock (statuses)
            {
                statuses.Add(response);
            }
        });

        Assert.Equal(60, statuses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(40, statuses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        var refused = statuses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal("60", refused.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("0", refused.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("rate_limit_exceeded", body);
        var accepted = statuses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.All(accepted, r => Assert.True(r.Headers.Contains("x-ratelimit-remaining-tokens")));
        Assert.Contains(accepted, r => r.Headers.GetValues("x-ratelimit-remaining-requests").Single() == "0");
        statuses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task A_concurrency_cap_holds_across_both_replicas()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Enterprise, "pro");
        var key = await A.CreateKeyAsync(tenant.Id, new { name = "two", scopes = new[] { "inference" }, max_concurrent = 2 });
        using var viaA = A.WithKey(key.SecretKey);
        using var viaB = B.WithKey(key.SecretKey);
        var slow = new { model = "m", messages = new[] { new { role = "user", content = "hi" } }, test_delay_ms = 1500 };

        var first = viaA.PostAsJsonAsync("/v1/chat/completions", slow);
        var second = viaB.PostAsJsonAsync("/v1/chat/completions", slow);
        await WaitForLeasesAsync(key.Key.Id, 2);
        using (var third = await viaA.GetAsync("/v1/models"))
        using (var fourth = await viaB.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
            Assert.Contains("concurrent", await third.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
        using var after = await viaB.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_by_both_replicas_within_a_second()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Enterprise, "pro");
        var key = await A.CreateKeyAsync(tenant.Id);
        using var viaA = A.WithKey(key.SecretKey);
        using var viaB = B.WithKey(key.SecretKey);
        // Both replicas now hold the key in their cache (which would keep it for 60 s without an invalidation).
        Assert.Equal(HttpStatusCode.OK, (await viaA.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viaB.GetAsync("/v1/models")).StatusCode);

        using var admin = A.Admin();
        (await admin.DeleteAsync($"/api/tenants/{tenant.Id}/keys/{key.Key.Id}")).EnsureSuccessStatusCode();
        var revokedAt = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.Unauthorized, (await viaA.GetAsync("/v1/models")).StatusCode);
        HttpStatusCode status;
        do
        {
            using var response = await viaB.GetAsync("/v1/models");
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK && revokedAt.Elapsed < TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    private async Task WaitForLeasesAsync(string keyId, int count)
    {
        var db = (await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Stores.Redis.ConnectionString)).GetDatabase();
        for (var i = 0; i < 200 && await db.SortedSetLengthAsync("{gw}:con:k:" + keyId) < count; i++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(count, await db.SortedSetLengthAsync("{gw}:con:k:" + keyId));
    }
}
