using Platform.LocalInfra;

namespace Platform.TestKit;

/// <summary>A real Redis on a free port: redis-server when installed (CI), Garnet otherwise.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private EmbeddedRedis? _server;

    public EmbeddedRedis Server => _server ?? throw new InvalidOperationException("The Redis fixture has not started.");

    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync()
    {
        var repo = RepoLayout.Find();
        var port = Ports.GetFree();
        _server = await EmbeddedRedis.StartAsync(repo, port,
            logPath: Path.Combine(repo.StateDir, "test-logs", $"redis-{port}.log"), exitWithParent: true);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
