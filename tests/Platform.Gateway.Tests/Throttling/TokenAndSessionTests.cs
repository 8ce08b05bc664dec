using System.Net;
using System.Net.Http.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Throttling;

[Collection(GatewayCollection.Name)]
public sealed class TokenAndSessionTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static object Chat(int maxTokens, int delayMs = 0, string? session = null) => new
    {
        model = "m",
        messages = new[] { new { role = "user", content = "hi" } },
        max_tokens = maxTokens,
        test_delay_ms = delayMs,
        session_id = session,
    };

    [Fact]
    public async Task Tokens_are_reserved_at_admission_and_reconciled_with_the_real_usage()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise, "pro");
        var key = await _gateway.CreateKeyAsync(tenant.Id, new { name = "tpm", scopes = new[] { "inference" }, tokens_per_minute = 1000 });
        using var client = _gateway.WithKey(key.SecretKey);

        using (var first = await client.PostAsJsonAsync("/v1/chat/completions", Chat(900)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("1000", first.Headers.GetValues("x-ratelimit-limit-tokens").Single());
            Assert.InRange(int.Parse(first.Headers.GetValues("x-ratelimit-remaining-tokens").Single()), 90, 100);
        }
        // The upstream used 18 tokens, not 905: the rest came back, so a second large request fits.
        using (var second = await client.PostAsJsonAsync("/v1/chat/completions", Chat(900, delayMs: 1500)))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        var held = client.PostAsJsonAsync("/v1/chat/completions", Chat(900, delayMs: 1500));
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString))
        {
            for (var i = 0; i < 250 && await redis.GetDatabase().SortedSetLengthAsync("{gw}:con:k:" + key.Key.Id) == 0; i++)
            {
                await Task.Delay(20);
            }
        }
        using (var refused = await client.PostAsJsonAsync("/v1/chat/completions", Chat(900)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("tokens per minute", await refused.Content.ReadAsStringAsync());
            Assert.True(refused.Headers.Contains("x-ratelimit-reset-tokens"));
            Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single()) >= 1);
        }
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
    }

    [Fact]
    public async Task A_consumer_tenant_has_a_cap_on_open_chat_sessions()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer, "free");
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Chat(10, session: "s1"))).StatusCode);
        using var viaHeader = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat(10)) };
        viaHeader.Headers.Add("X-Session-Id", "s2");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(viaHeader)).StatusCode);

        using var third = await client.PostAsJsonAsync("/v1/chat/completions", Chat(10, session: "s3"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("open chat sessions", await third.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Chat(10, session: "s1"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Chat(10))).StatusCode);
    }
}
