using Npgsql;
using Platform.LocalInfra;

namespace Platform.TestKit;

/// <summary>
/// A real PostgreSQL 17 + pgvector (embedded PGlite) on a free port, in memory, for one test class
/// or collection; it stops when the fixture is disposed or the test host exits.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private EmbeddedPostgres? _server;

    public string ConnectionString => Server.ConnectionString;

    public EmbeddedPostgres Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture has not started.");

    public async Task InitializeAsync()
    {
        var repo = RepoLayout.Find();
        var port = Ports.GetFree();
        _server = await EmbeddedPostgres.StartAsync(repo, port, dataDir: null,
            logPath: Path.Combine(repo.StateDir, "test-logs", $"pglite-{port}.log"), exitWithParent: true);
    }

    public NpgsqlDataSource CreateDataSource(string applicationName = "tests") =>
        Platform.Data.PlatformDataSource.Create(ConnectionString, applicationName);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
