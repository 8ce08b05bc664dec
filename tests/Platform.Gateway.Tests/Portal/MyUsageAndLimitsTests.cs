using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Metering;
using Platform.Services.Gateway.Policy;

namespace Platform.Gateway.Tests.Portal;

/// <summary>/api/me/usage (per-key 429s and latency percentiles on real PostgreSQL) and /api/me/limits (live from the Redis limiter).</summary>
[Collection(GatewayCollection.Name)]
public sealed class MyUsageAndLimitsTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<HttpClient> SignedInAsync(Guid tenantId)
    {
        var email = $"admin-{Guid.NewGuid():N}@example.com";
        using (var admin = _gateway.Admin())
        {
            (await admin.PostAsJsonAsync($"/api/tenants/{tenantId}/users", new CreateUserRequest(email, "a long enough password", UserRoles.TenantAdmin))).EnsureSuccessStatusCode();
        }
        var client = _gateway.CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, "a long enough password"));
        login.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.Content.ReadFromJsonAsync<LoginResponse>())!.Token);
        return client;
    }

    private static UsageRecord Record(Guid tenant, string key, int status, double latencyMs, DateTimeOffset at) =>
        new(Guid.CreateVersion7(), tenant, key, "inference", "m", status, 10, 5, UsageSources.Reported, latencyMs, at);

    [Fact]
    public async Task Usage_has_per_key_429s_and_latency_percentiles_of_the_own_tenant_only()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise, "enterprise");
        var other = await _gateway.CreateTenantAsync(Tiers.Enterprise, "enterprise");
        var store = _gateway.Services.GetRequiredService<UsageStore>();
        var now = DateTimeOffset.UtcNow;
        // key a: latencies 10..100 ms (p50 55, p95 95.5 by linear interpolation), two of them 429s.
        var a = Enumerable.Range(1, 10).Select(i => Record(tenant.Id, "key-a", i <= 2 ? 429 : 200, i * 10, now.AddMinutes(-i))).ToList();
        a.Add(Record(tenant.Id, "key-b", 500, 7, now.AddMinutes(-1)));
        await store.InsertAsync(tenant.Id, a, CancellationToken.None);
        await store.InsertAsync(other.Id, [Record(other.Id, "key-x", 429, 1000, now.AddMinutes(-1))], CancellationToken.None);

        using var client = await SignedInAsync(tenant.Id);
        using var response = await client.GetAsync("/api/me/usage?days=2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var keys = doc.RootElement.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("key_id").GetString()!);
        Assert.Equal(["key-a", "key-b"], keys.Keys.Order());
        var keyA = keys["key-a"];
        Assert.Equal(10, keyA.GetProperty("requests").GetInt64());
        Assert.Equal(2, keyA.GetProperty("rate_limited").GetInt64());
        Assert.Equal(0, keyA.GetProperty("errors").GetInt64());
        Assert.Equal(55, keyA.GetProperty("latency_p50_ms").GetDouble(), 6);
        Assert.Equal(95.5, keyA.GetProperty("latency_p95_ms").GetDouble(), 6);
        Assert.Equal(1, keys["key-b"].GetProperty("errors").GetInt64());
        Assert.Equal(0, keys["key-b"].GetProperty("rate_limited").GetInt64());

        // Per day, 429s excluded: the 9 others (7 ms and 30..100 ms) may span two UTC days near midnight.
        var latency = doc.RootElement.GetProperty("latency").EnumerateArray().ToList();
        Assert.Equal(9, latency.Sum(d => d.GetProperty("requests").GetInt64()));
        Assert.All(latency, d => Assert.True(d.GetProperty("p95_ms").GetDouble() >= d.GetProperty("p50_ms").GetDouble()));
        if (latency.Count == 1)
        {
            Assert.Equal(60, latency[0].GetProperty("p50_ms").GetDouble(), 6);
        }
        Assert.NotEmpty(doc.RootElement.GetProperty("rows").EnumerateArray());

        using var bad = await client.GetAsync("/api/me/usage?days=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Limits_show_the_plan_and_what_is_in_use_now()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise, "pro");
        using var client = await SignedInAsync(tenant.Id);
        using (var before = await client.GetAsync("/api/me/limits"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            using var doc = JsonDocument.Parse(await before.Content.ReadAsStringAsync());
            Assert.Equal("pro", doc.RootElement.GetProperty("plan").GetString());
            var limits = Limits(doc);
            Assert.Equal((600, 0), limits["requests_per_minute"]);
            Assert.Equal((600000, 0), limits["tokens_per_minute"]);
            Assert.Equal((32, 0), limits["concurrent_requests"]);
            Assert.Equal((32, 0), limits["sessions"]);
        }

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("/v1/models")).EnsureSuccessStatusCode();
        }
        using var after = await client.GetAsync("/api/me/limits");
        using var afterDoc = JsonDocument.Parse(await after.Content.ReadAsStringAsync());
        Assert.Equal((600, 3), Limits(afterDoc)["requests_per_minute"]);
        Assert.Equal(0, Limits(afterDoc)["concurrent_requests"].InUse);

        using var anonymous = _gateway.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/me/limits")).StatusCode);
    }

    private static Dictionary<string, (long Limit, long InUse)> Limits(JsonDocument doc) =>
        doc.RootElement.GetProperty("limits").EnumerateArray().ToDictionary(
            l => l.GetProperty("name").GetString()!, l => (l.GetProperty("limit").GetInt64(), l.GetProperty("in_use").GetInt64()));
}
