using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Services.Gateway.Metering;
using Platform.TestKit;

namespace Platform.Gateway.Tests.Fixtures;

/// <summary>One gateway replica, in process, on the shared PostgreSQL and Redis, proxying to <see cref="Upstream"/>.</summary>
public sealed class GatewayHost(GatewayStores stores, IReadOnlyDictionary<string, string?>? settings = null, string? redis = null)
    : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", stores.Postgres.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", redis ?? stores.Redis.ConnectionString);
        builder.UseSetting("Gateway:AdminToken", AdminToken);
        builder.UseSetting("Gateway:KeyHashSecret", "test-key-hash-secret-0123456789abcdef");
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        foreach (var service in new[] { "inference", "rag", "ingestion", "finetune", "scheduler" })
        {
            builder.UseSetting($"Services:{service}", stores.Upstream.Url);
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public HttpClient WithKey(string secretKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secretKey);
        return client;
    }

    public Task FlushUsageAsync() => Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);

    public async Task<TenantResponse> CreateTenantAsync(string tier, string plan = "default")
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest("t-" + Guid.NewGuid().ToString("N")[..12], tier, plan));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TenantResponse>())!;
    }

    public async Task<CreatedApiKeyResponse> CreateKeyAsync(Guid tenantId, object? body = null)
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync($"/api/tenants/{tenantId}/keys", body ?? new { name = "test", scopes = new[] { "inference" } });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
    }
}
