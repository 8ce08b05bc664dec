using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.LocalInfra;

/// <summary>
/// Redis for one machine: Debian's <c>redis-server</c> when it is on PATH, otherwise Garnet
/// (<c>garnet-server</c>, a dotnet local tool in .config/dotnet-tools.json, started with --lua).
/// </summary>
public sealed class EmbeddedRedis : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private EmbeddedRedis(ChildProcess process, int port, string flavour)
    {
        _process = process;
        Port = port;
        Flavour = flavour;
    }

    public int Port { get; }

    /// <summary>"redis-server" or "garnet".</summary>
    public string Flavour { get; }

    public int Pid => _process.Pid;

    public ChildProcess Process => _process;

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<EmbeddedRedis> StartAsync(RepoLayout repo, int port, string logPath, bool exitWithParent,
        string? prefer = null, CancellationToken cancellationToken = default)
    {
        var (flavour, file, args) = await PrepareAsync(repo, port, prefer, cancellationToken);
        var process = ChildProcess.Start($"Redis ({flavour})", file, args, repo.Root, logPath, keepStdinOpen: exitWithParent);
        try
        {
            await WaitForPongAsync(process, port, TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new EmbeddedRedis(process, port, flavour);
    }

    /// <summary>Starts Redis in its own session (it outlives the launcher); returns its pid once it answers PING.</summary>
    public static async Task<(int Pid, string Flavour)> StartDetachedAsync(RepoLayout repo, int port, string logPath, CancellationToken cancellationToken = default)
    {
        var (flavour, file, args) = await PrepareAsync(repo, port, prefer: null, cancellationToken);
        var pid = DetachedProcess.Start(file, args, repo.Root, logPath, new Dictionary<string, string?>());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await PingAsync(port, cancellationToken))
            {
                return (pid, flavour);
            }
            if (!ProcessSignals.IsAlive(pid))
            {
                throw new InfraException($"Redis ({flavour}) exited before it answered PING; see {logPath}.");
            }
            await Task.Delay(150, cancellationToken);
        }
        ProcessSignals.Kill(pid);
        throw new InfraException($"Redis ({flavour}) did not answer PING on port {port} within 60 s; see {logPath}.");
    }

    private static async Task<(string Flavour, string File, List<string> Args)> PrepareAsync(RepoLayout repo, int port, string? prefer, CancellationToken cancellationToken)
    {
        if (!Ports.IsFree(port))
        {
            throw new InfraException($"Port {port} for Redis is already in use; stop what is listening there (./platform down) or set REDIS_URL to use an existing Redis.");
        }
        prefer ??= Environment.GetEnvironmentVariable("PLATFORM_REDIS");
        var redisServer = prefer == "garnet" ? null : NodeTooling.FindOnPath("redis-server");
        if (redisServer is not null)
        {
            return ("redis-server", redisServer,
                ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]);
        }
        // `dotnet tool run` would put a second process between us and Garnet; run its dll directly
        // so that the pid we signal is Garnet's own.
        var garnetDll = await EnsureGarnetAsync(repo, cancellationToken);
        // Garnet runs Lua scripts without isolation unless told to lock their keys; the gateway's limiter needs each
        // script to be atomic, as on Redis (without it a 60-RPM key admitted 61 of 100 across two replicas).
        return ("garnet", "dotnet", ["--roll-forward", "Major", garnetDll, "--port", port.ToString(), "--bind", "127.0.0.1",
            "--lua", "true", "--lua-transaction-mode", "true"]);
    }

    private static async Task<string> EnsureGarnetAsync(RepoLayout repo, CancellationToken cancellationToken)
    {
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(repo.Root, ".config", "dotnet-tools.json")));
        var version = manifest.RootElement.GetProperty("tools").GetProperty("garnet-server").GetProperty("version").GetString()!;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var toolDir = Path.Combine(packages, "garnet-server", version, "tools");
        string? Find() => Directory.Exists(toolDir)
            ? Directory.EnumerateFiles(toolDir, "GarnetServer.dll", SearchOption.AllDirectories).OrderDescending().FirstOrDefault()
            : null;
        if (Find() is { } found)
        {
            return found;
        }
        var (code, output) = await NodeTooling.RunAsync("dotnet", ["tool", "restore"], repo.Root, cancellationToken);
        if (code != 0)
        {
            throw new InfraException($"`dotnet tool restore` failed (exit {code}), so Garnet cannot start; check that NuGet is reachable, or install redis-server. Output:\n{output}");
        }
        return Find() ?? throw new InfraException($"Garnet {version} was restored but GarnetServer.dll is not under {toolDir}.");
    }

    public static async Task<bool> PingAsync(int port, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[64];
            using var readCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            readCts.CancelAfter(TimeSpan.FromSeconds(2));
            var n = await stream.ReadAsync(buffer, readCts.Token);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    private static async Task WaitForPongAsync(ChildProcess process, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InfraException($"{process.Name} exited with code {process.ExitCode} before it was ready. Its last output:\n{process.RecentOutput}");
            }
            if (await PingAsync(port, cancellationToken))
            {
                return;
            }
            await Task.Delay(150, cancellationToken);
        }
        throw new InfraException($"{process.Name} did not answer PING on port {port} within {timeout.TotalSeconds:F0} s. Its last output:\n{process.RecentOutput}");
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
