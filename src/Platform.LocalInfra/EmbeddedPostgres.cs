namespace Platform.LocalInfra;

/// <summary>
/// PostgreSQL 17 + pgvector as PGlite served over TCP (infra/pglite/server.mjs), pinned to
/// @electric-sql/pglite 0.4.6 and @electric-sql/pglite-socket 0.1.6.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private EmbeddedPostgres(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Pid;

    public ChildProcess Process => _process;

    /// <summary>Npgsql connection string; SSL off (PGlite has none) and no per-close reset (one shared backend).</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Database=postgres;SSL Mode=Disable;No Reset On Close=true;Timeout=30;Command Timeout=60";

    /// <param name="dataDir">A folder that keeps the data across restarts, or null for an in-memory database.</param>
    /// <param name="exitWithParent">Stop when this process goes away (tests), rather than living on (a detached `up`).</param>
    /// <param name="idleInTransactionTimeout">
    /// How long a connection may hold the one backend without sending anything before the server closes it (PostgreSQL's
    /// idle_in_transaction_session_timeout); the server's default, 60 s, when null.
    /// </param>
    public static async Task<EmbeddedPostgres> StartAsync(RepoLayout repo, int port, string? dataDir, string logPath,
        bool exitWithParent, CancellationToken cancellationToken = default, TimeSpan? idleInTransactionTimeout = null)
    {
        var args = await PrepareAsync(repo, port, dataDir, cancellationToken);
        if (idleInTransactionTimeout is { } idle)
        {
            args.AddRange(["--idle-in-transaction-timeout-ms", ((long)idle.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        if (exitWithParent)
        {
            args.AddRange(["--watch-stdin", "1"]);
        }
        var process = ChildProcess.Start("embedded PostgreSQL (PGlite)", "node", args, repo.PgliteDir, logPath, keepStdinOpen: exitWithParent);
        try
        {
            await process.WaitForLineAsync(l => l.Contains("\"ready\":true", StringComparison.Ordinal), TimeSpan.FromSeconds(90), cancellationToken);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new EmbeddedPostgres(process, port);
    }

    /// <summary>Starts the server in its own session (it outlives the launcher); returns its pid once it is ready.</summary>
    public static async Task<int> StartDetachedAsync(RepoLayout repo, int port, string dataDir, string logPath, CancellationToken cancellationToken = default)
    {
        var args = await PrepareAsync(repo, port, dataDir, cancellationToken);
        var logStart = File.Exists(logPath) ? new FileInfo(logPath).Length : 0;
        var pid = DetachedProcess.Start("node", args, repo.PgliteDir, logPath, new Dictionary<string, string?>());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var output = ReadFrom(logPath, logStart);
            if (output.Contains("\"ready\":true", StringComparison.Ordinal))
            {
                return pid;
            }
            if (!ProcessSignals.IsAlive(pid))
            {
                var error = output.Split('\n').FirstOrDefault(l => l.Contains("\"error\"", StringComparison.Ordinal)) ?? output;
                throw new InfraException($"The embedded PostgreSQL did not start: {error.Trim()} (log: {logPath}).");
            }
            await Task.Delay(200, cancellationToken);
        }
        ProcessSignals.Kill(pid);
        throw new InfraException($"The embedded PostgreSQL was not ready within 90 s (log: {logPath}).");
    }

    private static async Task<List<string>> PrepareAsync(RepoLayout repo, int port, string? dataDir, CancellationToken cancellationToken)
    {
        NodeTooling.RequireNode();
        await NodeTooling.EnsurePgliteInstalledAsync(repo, cancellationToken);
        if (!Ports.IsFree(port))
        {
            throw new InfraException($"Port {port} for the embedded PostgreSQL is already in use; stop what is listening there (./platform down, or `ss -ltnp 'sport = :{port}'` to see what it is) or set DATABASE_URL to use an existing PostgreSQL.");
        }
        if (dataDir is not null)
        {
            Directory.CreateDirectory(dataDir);
        }
        return [Path.Combine(repo.PgliteDir, "server.mjs"), "--data", dataDir ?? "memory://", "--port", port.ToString(), "--host", "127.0.0.1"];
    }

    private static string ReadFrom(string path, long offset)
    {
        if (!File.Exists(path))
        {
            return "";
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
