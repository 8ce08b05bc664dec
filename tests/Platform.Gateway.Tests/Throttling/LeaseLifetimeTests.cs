using System.Net;
using System.Net.Http.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.Services.Gateway.Throttling;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>
/// Concurrency leases with the shortest lease (Throttling:LeaseSeconds = 3, renewed every second): a live
/// stream keeps its slot past the first expiry, and a lease nobody releases (a crashed replica) frees
/// its slot when its TTL passes.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class LeaseLifetimeTests(GatewayStores stores) : IAsyncLifetime
{
    private const int LeaseSeconds = 3;
    private GatewayHost _gateway = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores, new Dictionary<string, string?> { ["Gateway:Throttling:LeaseSeconds"] = LeaseSeconds.ToString() });
        _redis = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task<(Guid Tenant, string KeyId, HttpClient Client)> OneSlotKeyAsync()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id, new { name = "one-slot", scopes = new[] { "inference" }, max_concurrent = 1 });
        return (tenant.Id, key.Key.Id, _gateway.WithKey(key.SecretKey));
    }

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public async Task A_stream_longer_than_the_lease_keeps_its_slot_and_frees_it_at_the_end()
    {
        var (_, keyId, client) = await OneSlotKeyAsync();
        using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            // About 6 s of chunks: twice the lease.
            Content = JsonContent.Create(new { model = "m", stream = true, messages = new[] { new { role = "user", content = "go on" } }, test_chunks = 60, test_delay_ms = 100 }),
        };
        using var stream = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var body = stream.Content.ReadAsStringAsync();

        // Past the lease the stream was admitted with: only renewal can keep it.
        await Task.Delay(TimeSpan.FromSeconds(LeaseSeconds + 1.5));
        Assert.False(body.IsCompleted, "the stream should still be running");
        var live = await _redis.GetDatabase().SortedSetLengthAsync(ThrottleKeys.LeasesOfKey(keyId), NowMs, double.PositiveInfinity, Exclude.Start);
        Assert.Equal(1, live);
        using (var refused = await client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("concurrent", await refused.Content.ReadAsStringAsync());
        }

        Assert.EndsWith("data: [DONE]\n\n", await body);
        var status = HttpStatusCode.TooManyRequests;
        for (var i = 0; i < 100 && status != HttpStatusCode.OK; i++)
        {
            using var next = await client.GetAsync("/v1/models");
            status = next.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(20);
            }
        }
        Assert.Equal(HttpStatusCode.OK, status);
    }

    /// <summary>
    /// The gateway ends a response before it awaits the lease's release, but sends the release first: a client
    /// with one slot that sends its next request as soon as the last one ended is never refused on this replica.
    /// </summary>
    [Fact]
    public async Task A_one_slot_key_sending_back_to_back_streams_is_never_refused()
    {
        var (_, _, client) = await OneSlotKeyAsync();
        using var _ = client;
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions",
                new { model = "m", stream = true, messages = new[] { new { role = "user", content = "hi" } }, test_chunks = 2 });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)response.StatusCode} {body}");
            Assert.EndsWith("data: [DONE]\n\n", body);
        }
    }

    [Fact]
    public async Task A_lease_never_released_is_gone_after_its_ttl_and_the_slot_is_free_again()
    {
        var (tenant, keyId, client) = await OneSlotKeyAsync();
        using var _ = client;
        // What admit.lua writes for a request of a replica that then crashed: no release, no renewal.
        var db = _redis.GetDatabase();
        var orphan = "crashed-" + Guid.NewGuid().ToString("N");
        var expiry = NowMs + LeaseSeconds * 1000;
        await db.SortedSetAddAsync(ThrottleKeys.LeasesOfKey(keyId), orphan, expiry);
        await db.KeyExpireAsync(ThrottleKeys.LeasesOfKey(keyId), TimeSpan.FromSeconds(LeaseSeconds * 2));
        await db.SortedSetAddAsync(ThrottleKeys.LeasesOfTenant(tenant), orphan, expiry);
        await db.KeyExpireAsync(ThrottleKeys.LeasesOfTenant(tenant), TimeSpan.FromSeconds(LeaseSeconds * 2));

        using (var refused = await client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("concurrent", await refused.Content.ReadAsStringAsync());
        }
        var status = HttpStatusCode.TooManyRequests;
        for (var i = 0; i < 100 && status != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            using var next = await client.GetAsync("/v1/models");
            status = next.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(NowMs >= expiry, "the slot came free before the orphaned lease expired");
        Assert.Null(await db.SortedSetScoreAsync(ThrottleKeys.LeasesOfKey(keyId), orphan));
        Assert.Null(await db.SortedSetScoreAsync(ThrottleKeys.LeasesOfTenant(tenant), orphan));
    }
}
