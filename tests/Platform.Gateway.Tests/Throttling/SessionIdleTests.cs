using System.Net;
using System.Net.Http.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Throttling;

/// <summary>A consumer tenant's open chat sessions go idle after the plan's session_idle_seconds, freeing their slot.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionIdleTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static object Chat(string session) => new
    {
        model = "m",
        messages = new[] { new { role = "user", content = "hi" } },
        max_tokens = 10,
        session_id = session,
    };

    [Fact]
    public async Task A_new_session_is_admitted_once_an_old_one_has_gone_idle()
    {
        // A plan with one open session and a two-second idle timeout (plans are global catalogue rows).
        var plan = "idle-" + Guid.NewGuid().ToString("N")[..12];
        await using (var db = stores.Postgres.CreateDataSource())
        await using (var insert = db.CreateCommand("""
            INSERT INTO gateway.plans (name, requests_per_minute, tokens_per_minute, max_concurrent, max_sessions, session_idle_seconds)
            VALUES ($1, 600, 600000, 8, 1, 2)
            """))
        {
            insert.Parameters.Add(new() { Value = plan });
            await insert.ExecuteNonQueryAsync();
        }
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer, plan);
        using var client = _gateway.WithKey((await _gateway.CreateKeyAsync(tenant.Id)).SecretKey);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Chat("old"))).StatusCode);
        using (var refused = await client.PostAsJsonAsync("/v1/chat/completions", Chat("new")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("open chat sessions", await refused.Content.ReadAsStringAsync());
        }

        var status = HttpStatusCode.TooManyRequests;
        for (var i = 0; i < 100 && status != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            using var retry = await client.PostAsJsonAsync("/v1/chat/completions", Chat("new"));
            status = retry.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
        // The one slot is now the new session's: the idle one is a stranger again.
        using var old = await client.PostAsJsonAsync("/v1/chat/completions", Chat("old"));
        Assert.Equal(HttpStatusCode.TooManyRequests, old.StatusCode);
    }
}
