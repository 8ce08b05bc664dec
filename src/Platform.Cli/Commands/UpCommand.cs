using System.Diagnostics;
using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>
/// `./platform up [--detach] [--no-build] [--port-base N] [--state-dir DIR]`: builds, starts
/// PostgreSQL+pgvector and Redis (embedded unless DATABASE_URL / REDIS_URL point elsewhere), starts
/// every service on its fixed loopback port (or the block from N), waits until each is ready, and
/// prints where to go. Ctrl-C (or `./platform down`, with the same --state-dir) stops everything.
/// </summary>
public sealed class UpCommand : ICommand
{
    public string Name => "up";

    public string Summary => "run the whole platform on this machine (--detach to return once healthy; --port-base N, --state-dir DIR, --no-build)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "detach", "no-build");
        var repo = LaunchTarget.Repo(options);
        var ports = LaunchTarget.Ports(options, running: null);
        var flags = LaunchTarget.Flags(options);
        var clock = Stopwatch.StartNew();

        if (RunState.Load(repo) is { } previous && previous.Alive.Any())
        {
            throw new CommandLineError($"the platform is already running (started {previous.StartedAt:u}); run ./platform down{flags} first, or ./platform status{flags} to see it.");
        }
        try
        {
            await PlatformLauncher.PreflightAsync(ports, cancellationToken);
        }
        catch (InfraException e)
        {
            throw new CommandLineError(e.Message);
        }

        if (options.Has("no-build"))
        {
            RequireBuilt(repo, ports);
        }
        else
        {
            Console.WriteLine("Building the platform (the first run restores packages and takes a few minutes)...");
            await Build.SolutionAsync(repo, cancellationToken);
        }

        StarterModel.EnsureLinked(repo);
        var launcher = new PlatformLauncher(repo, ports);
        try
        {
            await launcher.StartAsync(cancellationToken);
            var demo = await DemoTenant.EnsureAsync(repo, ports.Service("gateway"), cancellationToken);
            PrintWelcome(repo, ports, launcher, demo, clock.Elapsed);
        }
        catch (Exception e) when (e is InfraException or CommandLineError)
        {
            await launcher.StopAsync();
            throw new CommandLineError(e.Message);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Interrupted; stopping what was started...");
            await launcher.StopAsync();
            throw;
        }

        if (options.Has("detach"))
        {
            Console.WriteLine($"Running in the background; ./platform down{flags} stops it.");
            return 0;
        }
        Console.WriteLine("Press Ctrl-C to stop.");
        var failed = await launcher.WaitForExitOrCancelAsync(cancellationToken);
        if (failed is not null)
        {
            Console.Error.WriteLine($"platform up: {failed} stopped unexpectedly; see {repo.Display(launcher.LogPath(failed))}. Stopping everything.");
        }
        Console.WriteLine("Stopping...");
        await launcher.StopAsync();
        Console.WriteLine("Stopped.");
        return failed is null ? 0 : 1;
    }

    /// <summary>--no-build: the caller built the solution (`./platform test` does); refuse rather than start a stale or missing host.</summary>
    private static void RequireBuilt(RepoLayout repo, PlatformPorts ports)
    {
        var missing = ports.Services.Where(s => !File.Exists(s.DllPath(repo))).Select(s => repo.Display(s.DllPath(repo))).ToList();
        if (missing.Count > 0)
        {
            throw new CommandLineError($"--no-build, but these hosts are not built: {string.Join(", ", missing)}; run without --no-build (or dotnet build Platform.sln) first.");
        }
    }

    private static void PrintWelcome(RepoLayout repo, PlatformPorts ports, PlatformLauncher launcher, DemoCredentials? demo, TimeSpan elapsed)
    {
        var gateway = ports.Service("gateway");
        var portal = ports.Service("portal");
        Console.WriteLine();
        Console.WriteLine($"Platform is up ({elapsed.TotalSeconds:F0} s).");
        Console.WriteLine($"  Portal:     {gateway.Url}  (served through the gateway; the portal itself listens on {portal.Url})");
        Console.WriteLine($"  Gateway:    {gateway.Url}");
        Console.WriteLine($"  PostgreSQL: {launcher.PostgresDisplay}");
        Console.WriteLine($"  Redis:      {launcher.RedisDisplay}");
        Console.WriteLine($"  Models:     {StarterModel.Describe(repo)}");
        if (demo is not null)
        {
            Console.WriteLine($"  Demo tenant '{demo.TenantName}': sign in as {demo.AdminEmail} / {demo.AdminPassword}");
            Console.WriteLine($"  Demo API key (shown once): {demo.ApiKey}");
        }
        Console.WriteLine($"  Logs:       {repo.Display(Path.Combine(repo.StateDir, "logs"))}/");
    }
}
