using Platform.TestKit;

namespace Platform.Ingestion.Tests;

/// <summary>One real PostgreSQL (PGlite + pgvector) and one real Redis shared by the service tests.</summary>
public sealed class StoresFixture : IAsyncLifetime
{
    public PostgresFixture Postgres { get; } = new();

    public RedisFixture Redis { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Postgres.InitializeAsync(), Redis.InitializeAsync());

    public Task DisposeAsync() => Task.WhenAll(Postgres.DisposeAsync(), Redis.DisposeAsync());
}

[CollectionDefinition(Name)]
public sealed class StoresCollection : ICollectionFixture<StoresFixture>
{
    public const string Name = "stores";
}
