using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Throttling;

[Collection(GatewayCollection.Name)]
public sealed class StreamTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        _redis = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_stream_cut_midway_releases_its_lease_and_records_the_tokens_produced()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        var testId = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "m", stream = true, messages = new[] { new { role = "user", content = "tell a story" } }, test_chunks = 200, test_delay_ms = 30 }),
        };
        request.Headers.Add("X-Test-Id", testId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await _redis.GetDatabase().SortedSetLengthAsync("{gw}:con:k:" + key.Key.Id));

        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var seen = 0;
        while (seen < 3 && await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                seen++;
            }
        }
        response.Dispose();

        var leases = -1L;
        for (var i = 0; i < 250 && leases != 0; i++)
        {
            await Task.Delay(20);
            leases = await _redis.GetDatabase().SortedSetLengthAsync("{gw}:con:k:" + key.Key.Id);
        }
        Assert.Equal(0, leases);
        Assert.Equal(0, await _redis.GetDatabase().SortedSetLengthAsync("{gw}:con:t:" + tenant.Id));

        await _gateway.FlushUsageAsync();
        var (status, completion, source) = await SingleUsageAsync(tenant.Id);
        Assert.Equal(499, status);
        Assert.Equal("counted", source);
        Assert.InRange(completion, seen, stores.Upstream.ChunksWritten[testId]);
        Assert.True(stores.Upstream.ChunksWritten[testId] < 200, "the upstream should have stopped when the stream was cut");
    }

    [Fact]
    public async Task A_finished_stream_records_the_usage_of_its_final_chunk_once()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "m", stream = true, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content = "hi" } }, test_chunks = 12 });
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]\n\n", text);
        await _gateway.FlushUsageAsync();
        await _gateway.FlushUsageAsync();
        Assert.Equal((200, 12, "reported"), await SingleUsageAsync(tenant.Id));
    }

    [Fact]
    public async Task Json_usage_is_recorded_and_aggregated_per_day_model_and_key()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        using var client = _gateway.WithKey(key.SecretKey);
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = "hi" } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await _gateway.FlushUsageAsync();
        using var admin = _gateway.Admin();
        var usage = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/usage?tenantId={tenant.Id}");
        var row = Assert.Single(usage.GetProperty("rows").EnumerateArray());
        Assert.Equal("stories260K", row.GetProperty("model").GetString());
        Assert.Equal(key.Key.Id, row.GetProperty("key_id").GetString());
        Assert.Equal(3, row.GetProperty("requests").GetInt64());
        Assert.Equal(33, row.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(21, row.GetProperty("completion_tokens").GetInt64());

        var keys = await admin.GetStringAsync($"/api/tenants/{tenant.Id}/keys");
        Assert.DoesNotContain("\"last_used_at\":null", keys);
    }

    [Fact]
    public async Task Usage_still_queued_is_written_on_graceful_shutdown()
    {
        // No periodic flush during the test: only the shutdown can write the record.
        var replica = new GatewayHost(stores, new Dictionary<string, string?> { ["Gateway:UsageFlushMilliseconds"] = "3600000" });
        var tenant = await replica.CreateTenantAsync(Tiers.Enterprise);
        var key = await replica.CreateKeyAsync(tenant.Id);
        using (var client = replica.WithKey(key.SecretKey))
        using (var response = await client.PostAsJsonAsync("/v1/embeddings", new { model = "e", input = "hello" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await replica.DisposeAsync();
        Assert.Equal((200, 0, "reported"), await SingleUsageAsync(tenant.Id));
    }

    private async Task<(int Status, int Completion, string Source)> SingleUsageAsync(Guid tenantId)
    {
        await using var db = stores.Postgres.CreateDataSource();
        await using var cmd = db.CreateCommand("SELECT status, completion_tokens, usage_source FROM gateway.usage WHERE tenant_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        var row = (r.GetInt32(0), r.GetInt32(1), r.GetString(2));
        Assert.False(await r.ReadAsync(), "a call must produce exactly one usage record");
        return row;
    }
}
