namespace Platform.Gateway.Tests.Fixtures;

/// <summary>Two gateway replicas on the collection's one database and one Redis, fresh for each test.</summary>
public abstract class TwoGatewayHosts(GatewayStores stores) : IAsyncLifetime
{
    /// <summary>The collection's database and Redis, for tests that start more hosts.</summary>
    protected GatewayStores Stores { get; } = stores;

    protected GatewayHost A { get; private set; } = null!;

    protected GatewayHost B { get; private set; } = null!;

    public Task InitializeAsync()
    {
        A = new GatewayHost(Stores);
        B = new GatewayHost(Stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
