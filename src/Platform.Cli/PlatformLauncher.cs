using System.Net.Sockets;
using Platform.LocalInfra;

namespace Platform.Cli;

/// <summary>
/// Starts the stores and services of `./platform up` as detached processes on <paramref name="ports"/>
/// and tracks them in <see cref="RunState"/> under the repo's state folder.
/// </summary>
internal sealed class PlatformLauncher(RepoLayout repo, PlatformPorts ports)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(4);
    private readonly List<RunningProcess> _processes = [];
    private int? _postgresPort;
    private int? _redisPort;
    private DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    public string PostgresDisplay { get; private set; } = "";

    public string RedisDisplay { get; private set; } = "";

    public string LogPath(string name) => Path.Combine(repo.StateDir, "logs", name + ".log");

    /// <summary>
    /// Everything that can be checked before the (slow) build: a missing Node.js, a store port in
    /// use, an external database or Redis that does not answer.
    /// </summary>
    public static async Task PreflightAsync(PlatformPorts ports, CancellationToken cancellationToken)
    {
        var databaseUrl = Environment.GetEnvironmentVariable("DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(databaseUrl))
        {
            var csb = new Npgsql.NpgsqlConnectionStringBuilder(Platform.Data.PostgresConnectionString.FromUrlOrKeywords(databaseUrl));
            await RequireReachableAsync("PostgreSQL", csb.Host ?? "localhost", csb.Port, "DATABASE_URL", cancellationToken);
        }
        else
        {
            NodeTooling.RequireNode();
            RequireFree(ports.Postgres, "the embedded PostgreSQL", "DATABASE_URL to use an existing PostgreSQL");
        }
        var redisUrl = Environment.GetEnvironmentVariable("REDIS_URL");
        if (!string.IsNullOrWhiteSpace(redisUrl))
        {
            var (host, port) = RedisEndpoint(redisUrl);
            await RequireReachableAsync("Redis", host, port, "REDIS_URL", cancellationToken);
        }
        else
        {
            RequireFree(ports.Redis, "the embedded Redis", "REDIS_URL to use an existing Redis");
        }
        foreach (var service in ports.Services)
        {
            RequireFree(service.Port, $"the {service.Name} service", null);
        }
    }

    private static void RequireFree(int port, string what, string? alternative)
    {
        if (!Ports.IsFree(port))
        {
            var or = alternative is null ? "" : $", or set {alternative}";
            throw new InfraException($"port {port} (for {what}) is already in use; stop what is listening there (./platform down, or `ss -ltnp 'sport = :{port}'` shows it){or}.");
        }
    }

    private static (string Host, int Port) RedisEndpoint(string url)
    {
        var endpoint = Platform.ServiceDefaults.RedisConnectionString.FromUrlOrOptions(url).Split(',')[0];
        var colon = endpoint.LastIndexOf(':');
        return colon > 0 && int.TryParse(endpoint[(colon + 1)..], out var port) ? (endpoint[..colon], port) : (endpoint, 6379);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _startedAt = DateTimeOffset.UtcNow;
        var postgres = await StartPostgresAsync(cancellationToken);
        var redis = await StartRedisAsync(cancellationToken);

        foreach (var service in ports.Services)
        {
            var env = ports.EnvironmentFor(service, postgres, redis);
            foreach (var (key, value) in ServiceEnvironment.Extra(repo, service))
            {
                env[key] = value;
            }
            var dll = service.DllPath(repo);
            var pid = DetachedProcess.Start("dotnet", [dll], Path.GetDirectoryName(dll)!, LogPath(service.Name), env);
            Track(service.Name, pid);
        }
        Console.WriteLine($"Started {ports.Services.Count} services; waiting until each is ready...");
        await Task.WhenAll(ports.Services.Select(s => WaitReadyAsync(s, cancellationToken)));
    }

    private async Task<string> StartPostgresAsync(CancellationToken cancellationToken)
    {
        var external = Environment.GetEnvironmentVariable("DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(external))
        {
            var cs = Platform.Data.PostgresConnectionString.FromUrlOrKeywords(external);
            var csb = new Npgsql.NpgsqlConnectionStringBuilder(cs);
            PostgresDisplay = $"{csb.Host}:{csb.Port}/{csb.Database} (DATABASE_URL)";
            return cs;
        }
        var port = ports.Postgres;
        var dataDir = Path.Combine(repo.StateDir, "data", "pglite");
        Console.WriteLine("Starting PostgreSQL 17 + pgvector (embedded PGlite)...");
        var pid = await EmbeddedPostgres.StartDetachedAsync(repo, port, dataDir, LogPath("postgres"), cancellationToken);
        Track("postgres", pid);
        _postgresPort = port;
        Save();
        PostgresDisplay = $"127.0.0.1:{port} (embedded PGlite, data in {repo.Display(dataDir)})";
        return $"Host=127.0.0.1;Port={port};Username=postgres;Password=postgres;Database=postgres;SSL Mode=Disable;No Reset On Close=true;Timeout=30;Command Timeout=60";
    }

    private async Task<string> StartRedisAsync(CancellationToken cancellationToken)
    {
        var external = Environment.GetEnvironmentVariable("REDIS_URL");
        if (!string.IsNullOrWhiteSpace(external))
        {
            var cs = Platform.ServiceDefaults.RedisConnectionString.FromUrlOrOptions(external);
            RedisDisplay = $"{cs.Split(',')[0]} (REDIS_URL)";
            return cs;
        }
        var port = ports.Redis;
        Console.WriteLine("Starting Redis...");
        var (pid, flavour) = await EmbeddedRedis.StartDetachedAsync(repo, port, LogPath("redis"), cancellationToken);
        Track("redis", pid);
        _redisPort = port;
        Save();
        RedisDisplay = $"127.0.0.1:{port} ({flavour})";
        return $"127.0.0.1:{port},abortConnect=false";
    }

    private static async Task RequireReachableAsync(string what, string host, int port, string variable, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(host, port, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new InfraException($"{what} at {host}:{port} (from {variable}) is unreachable; start it, correct {variable}, or unset {variable} to use the embedded one.");
        }
    }

    private async Task WaitReadyAsync(ServiceSpec service, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var pid = _processes.Single(p => p.Name == service.Name).Pid;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!ProcessSignals.IsAlive(pid))
            {
                throw new InfraException($"the {service.Name} service exited during start-up: {LastError(service.Name)} (full log: {repo.Display(LogPath(service.Name))}).");
            }
            try
            {
                using var response = await http.GetAsync(service.Url + "/health/ready", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"  {service.Name,-10} ready at {service.Url}");
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new InfraException($"the {service.Name} service was not ready within {ReadyTimeout.TotalMinutes:F0} minutes; see {repo.Display(LogPath(service.Name))}.");
    }

    /// <summary>The most telling line of a service's log: its last error, else its last line.</summary>
    private string LastError(string name)
    {
        var path = LogPath(name);
        if (!File.Exists(path))
        {
            return "no output";
        }
        var lines = File.ReadAllLines(path);
        var line = lines.LastOrDefault(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal))
            ?? lines.LastOrDefault() ?? "no output";
        return line.Length > 400 ? line[..400] + "..." : line;
    }

    /// <summary>Waits until cancelled (Ctrl-C) or until a started process dies; returns the dead one's name.</summary>
    public async Task<string?> WaitForExitOrCancelAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(500, cancellationToken);
                var dead = _processes.FirstOrDefault(p => !ProcessSignals.IsAlive(p.Pid));
                if (dead is not null)
                {
                    return dead.Name;
                }
                if (RunState.Load(repo) is null)
                {
                    return null; // `./platform down` from another shell
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task StopAsync()
    {
        await StopAllAsync(repo, _processes);
        _processes.Clear();
    }

    /// <summary>Services first (they flush on shutdown), then the stores.</summary>
    public static async Task StopAllAsync(RepoLayout repo, IReadOnlyList<RunningProcess> processes)
    {
        var stores = new HashSet<string> { "postgres", "redis" };
        await DetachedProcess.StopAsync(processes.Where(p => !stores.Contains(p.Name)).Select(p => p.Pid), TimeSpan.FromSeconds(15));
        await DetachedProcess.StopAsync(processes.Where(p => stores.Contains(p.Name)).Select(p => p.Pid), TimeSpan.FromSeconds(15));
        RunState.Delete(repo);
    }

    private void Track(string name, int pid)
    {
        _processes.Add(new RunningProcess(name, pid));
        Save();
    }

    private void Save() => new RunState(_processes, PostgresDisplay, _postgresPort, _redisPort, _startedAt, ports.Base).Save(repo);
}
