using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Proxy;

[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Every_bad_key_gets_the_same_401_in_OpenAI_shape()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var good = await _gateway.CreateKeyAsync(tenant.Id);
        var revoked = await _gateway.CreateKeyAsync(tenant.Id);
        using (var admin = _gateway.Admin())
        {
            (await admin.DeleteAsync($"/api/tenants/{tenant.Id}/keys/{revoked.Key.Id}")).EnsureSuccessStatusCode();
        }
        var expired = await _gateway.CreateKeyAsync(tenant.Id, new { name = "old", scopes = new[] { "inference" }, expires_in_days = 1 });
        await using (var db = stores.Postgres.CreateDataSource())
        await using (var cmd = db.CreateCommand("UPDATE gateway.api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = expired.Key.Id });
            await cmd.ExecuteNonQueryAsync();
        }
        var wrongSecret = good.SecretKey[..^4] + (good.SecretKey.EndsWith("AAAA") ? "BBBB" : "AAAA");
        var unknown = "pk_live_abcdefghijkmnpqr_" + new string('x', 43);

        var bodies = new List<string>();
        foreach (var presented in new[] { null, "not-a-key", unknown, wrongSecret, revoked.SecretKey, expired.SecretKey })
        {
            using var client = _gateway.CreateClient();
            if (presented is not null)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", presented);
            }
            using var response = await client.GetAsync("/v1/models");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            Assert.Equal("invalid_api_key", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
            bodies.Add(body);
        }
        Assert.Single(bodies.Distinct());

        using var ok = await _gateway.WithKey(good.SecretKey).GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_key_without_the_routes_scope_gets_403()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id, new { name = "rag only", scopes = new[] { "rag" } });
        using var client = _gateway.WithKey(key.SecretKey);
        using var response = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("permission_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        using var kb = await client.GetAsync("/v1/knowledge-bases");
        Assert.Equal(HttpStatusCode.Forbidden, kb.StatusCode);
    }

    [Fact]
    public async Task Client_identity_headers_are_stripped_and_the_forwarded_ones_verify()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var other = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("X-Platform-Tenant", other.Id.ToString());
        request.Headers.Add("X-Platform-Tier", "enterprise");
        request.Headers.Add("X-Platform-Priority", "enterprise");
        request.Headers.Add("X-Platform-Cache-Salt", "chosen-by-client");
        request.Headers.Add("x-platform-signature", "forged");
        request.Headers.Add("X-Platform-Anything", "else");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var caller = doc.RootElement.GetProperty("caller");
        Assert.True(caller.GetProperty("verified").GetBoolean());
        Assert.Equal(tenant.Id, caller.GetProperty("tenant").GetGuid());
        Assert.Equal("consumer", caller.GetProperty("tier").GetString());
        Assert.Equal("consumer", caller.GetProperty("priority").GetString());
        Assert.Equal(key.Key.Id, caller.GetProperty("principal").GetString());
        var salt = caller.GetProperty("cache_salt").GetString();
        Assert.False(string.IsNullOrEmpty(salt));
        Assert.NotEqual("chosen-by-client", salt);
        Assert.Equal(JsonValueKind.Null, caller.GetProperty("authorization").ValueKind);
        Assert.Equal(9, caller.GetProperty("platform_headers").GetInt32());

        // The salt is per tenant: the same for another key of this tenant, different for another tenant.
        var sameTenant = await _gateway.CreateKeyAsync(tenant.Id);
        var otherKey = await _gateway.CreateKeyAsync(other.Id);
        Assert.Equal(salt, await SaltOf(sameTenant.SecretKey));
        Assert.NotEqual(salt, await SaltOf(otherKey.SecretKey));
    }

    [Fact]
    public async Task Malformed_json_is_400_and_an_oversized_body_is_413()
    {
        await using var small = new GatewayHost(stores, new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "2048" });
        var tenant = await small.CreateTenantAsync(Tiers.Enterprise);
        var key = await small.CreateKeyAsync(tenant.Id);
        using var client = small.WithKey(key.SecretKey);
        using var malformed = await client.PostAsync("/v1/chat/completions", new StringContent("{\"model\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using (var doc = JsonDocument.Parse(await malformed.Content.ReadAsStringAsync()))
        {
            Assert.Equal("invalid_request_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        }
        using var big = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = new string('a', 4096) } } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        using var fine = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task A_rotated_key_stops_working_and_its_successor_works()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise, "pro");
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using (var before = await _gateway.WithKey(key.SecretKey).GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        using var admin = _gateway.Admin();
        using var rotated = await admin.PostAsync($"/api/tenants/{tenant.Id}/keys/{key.Key.Id}/rotate", null);
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var successor = (await rotated.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
        Assert.NotEqual(key.Key.Id, successor.Key.Id);
        Assert.Equal(key.Key.Scopes, successor.Key.Scopes);
        using (var old = await _gateway.WithKey(key.SecretKey).GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }
        using var fresh = await _gateway.WithKey(successor.SecretKey).GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        using var again = await admin.PostAsync($"/api/tenants/{tenant.Id}/keys/{key.Key.Id}/rotate", null);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Tenants_need_a_known_plan_and_plans_are_listed()
    {
        using var admin = _gateway.Admin();
        using var unknown = await admin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest("t-" + Guid.NewGuid().ToString("N")[..12], Tiers.Consumer, "platinum"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var plans = await admin.GetStringAsync("/api/plans");
        foreach (var name in new[] { "default", "demo", "free", "pro", "enterprise" })
        {
            Assert.Contains($"\"name\":\"{name}\"", plans);
        }
    }

    [Fact]
    public async Task A_plan_change_applies_to_cached_keys_at_once()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        using (var before = await client.GetAsync("/v1/models"))
        {
            Assert.Equal("60", before.Headers.GetValues("x-ratelimit-limit-requests").Single());
        }
        using var admin = _gateway.Admin();
        using (var unknown = await admin.PutAsJsonAsync($"/api/tenants/{tenant.Id}/plan", new { plan = "platinum" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }
        using (var changed = await admin.PutAsJsonAsync($"/api/tenants/{tenant.Id}/plan", new { plan = "pro" }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }
        using var after = await client.GetAsync("/v1/models");
        Assert.Equal("600", after.Headers.GetValues("x-ratelimit-limit-requests").Single());
    }

    private async Task<string?> SaltOf(string secretKey)
    {
        using var response = await _gateway.WithKey(secretKey).GetAsync("/v1/models");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("caller").GetProperty("cache_salt").GetString();
    }
}
