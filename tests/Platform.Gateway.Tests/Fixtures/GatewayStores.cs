using Platform.TestKit;

namespace Platform.Gateway.Tests.Fixtures;

/// <summary>One real PostgreSQL, one real Redis and one upstream for every integration test (they run one class at a time).</summary>
public sealed class GatewayStores : IAsyncLifetime
{
    public PostgresFixture Postgres { get; } = new();

    public RedisFixture Redis { get; } = new();

    public Upstream Upstream { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Postgres.InitializeAsync(), Redis.InitializeAsync(), Upstream.StartAsync());

    public async Task DisposeAsync()
    {
        await Upstream.DisposeAsync();
        await Task.WhenAll(Postgres.DisposeAsync(), Redis.DisposeAsync());
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayStores>
{
    public const string Name = "gateway";
}
