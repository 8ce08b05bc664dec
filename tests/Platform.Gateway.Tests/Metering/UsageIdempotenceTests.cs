using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Metering;
using Platform.Services.Gateway.Policy;

namespace Platform.Gateway.Tests.Metering;

/// <summary>Usage rows on real PostgreSQL: a retried batch never counts a call twice; the limiter's own refusals are metered once.</summary>
[Collection(GatewayCollection.Name)]
public sealed class UsageIdempotenceTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static UsageRecord Record(Guid tenant, string key, int status) =>
        new(Guid.CreateVersion7(), tenant, key, "inference", "m", status, 10, 5, UsageSources.Reported, 3, DateTimeOffset.UtcNow);

    [Fact]
    public async Task The_same_batch_inserted_twice_gives_one_row_per_request_id()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var store = _gateway.Services.GetRequiredService<UsageStore>();
        var batch = Enumerable.Range(0, 3).Select(_ => Record(tenant.Id, "key-a", 200)).ToList();

        await store.InsertAsync(tenant.Id, batch, CancellationToken.None);
        await store.InsertAsync(tenant.Id, batch, CancellationToken.None);
        // A retry that overlaps the first batch and carries one new record.
        var fresh = Record(tenant.Id, "key-a", 200);
        await store.InsertAsync(tenant.Id, [batch[1], fresh, batch[2]], CancellationToken.None);

        var rows = await RowsAsync(tenant.Id);
        Assert.Equal(4, rows.Count);
        Assert.Equal(batch.Select(r => r.RequestId).Append(fresh.RequestId).Order(), rows.Select(r => r.RequestId).Order());
        var totals = Assert.Single(await store.AggregateAsync(tenant.Id, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), CancellationToken.None));
        Assert.Equal(4, totals.Requests);
        Assert.Equal(40, totals.PromptTokens);
    }

    [Fact]
    public async Task A_limiter_refusal_is_one_usage_row_with_status_429_and_shows_per_key()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var key = await _gateway.CreateKeyAsync(tenant.Id, new { name = "one-rpm", scopes = new[] { "inference" }, requests_per_minute = 1 });
        using var client = _gateway.WithKey(key.SecretKey);
        var chat = new { model = "refused-model", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 10 };
        using (var admitted = await client.PostAsJsonAsync("/v1/chat/completions", chat))
        {
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }
        using (var refused = await client.PostAsJsonAsync("/v1/chat/completions", chat))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
        await _gateway.FlushUsageAsync();
        await _gateway.FlushUsageAsync();

        var rows = await RowsAsync(tenant.Id);
        Assert.Equal(2, rows.Count);
        var row = Assert.Single(rows, r => r.Status == 429);
        Assert.Equal(key.Key.Id, row.KeyId);
        Assert.Equal(0, row.CompletionTokens);

        using var admin = _gateway.Admin();
        var usage = await admin.GetFromJsonAsync<JsonElement>($"/api/usage?tenantId={tenant.Id}");
        // The upstream answers as "stories260K"; the refusal keeps the requested model.
        var refusedRow = Assert.Single(usage.GetProperty("rows").EnumerateArray(), r => r.GetProperty("model").GetString() == "refused-model");
        Assert.Equal(key.Key.Id, refusedRow.GetProperty("key_id").GetString());
        Assert.Equal(1, refusedRow.GetProperty("requests").GetInt64());
        Assert.Equal(1, refusedRow.GetProperty("errors").GetInt64());
    }

    private async Task<List<(Guid RequestId, string KeyId, int Status, int CompletionTokens)>> RowsAsync(Guid tenantId)
    {
        await using var db = stores.Postgres.CreateDataSource();
        await using var cmd = db.CreateCommand("SELECT request_id, key_id, status, completion_tokens FROM gateway.usage WHERE tenant_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<(Guid, string, int, int)>();
        while (await r.ReadAsync())
        {
            rows.Add((r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3)));
        }
        return rows;
    }
}
