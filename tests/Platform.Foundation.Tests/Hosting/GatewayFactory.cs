using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Foundation.Tests.Hosting;

/// <summary>The real gateway host, in process, on the test's PostgreSQL and Redis.</summary>
public sealed class GatewayFactory(StoresFixture stores, string? redisOverride = null) : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", stores.Postgres.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", redisOverride ?? stores.Redis.ConnectionString);
        builder.UseSetting("Gateway:AdminToken", AdminToken);
        builder.UseSetting("Gateway:KeyHashSecret", "test-key-hash-secret-0123456789abcdef");
    }
}
