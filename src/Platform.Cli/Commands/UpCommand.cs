using System.Diagnostics;
using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>
/// `./platform up [--detach]`: builds, starts PostgreSQL+pgvector and Redis (embedded unless
/// DATABASE_URL / REDIS_URL point elsewhere), starts every service on its fixed loopback port, waits
/// until each is ready, and prints where to go. Ctrl-C (or `./platform down`) stops everything.
/// </summary>
public sealed class UpCommand : ICommand
{
    public string Name => "up";

    public string Summary => "run the whole platform on this machine (--detach to return once healthy)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "detach");
        var repo = RepoLayout.Find(Directory.GetCurrentDirectory());
        var clock = Stopwatch.StartNew();

        if (RunState.Load(repo) is { } previous && previous.Alive.Any())
        {
            throw new CommandLineError($"the platform is already running (started {previous.StartedAt:u}); run ./platform down first, or ./platform status to see it.");
        }
        try
        {
            await PlatformLauncher.PreflightAsync(cancellationToken);
        }
        catch (InfraException e)
        {
            throw new CommandLineError(e.Message);
        }

        Console.WriteLine("Building the platform (the first run restores packages and takes a few minutes)...");
        await Build.SolutionAsync(repo, cancellationToken);

        StarterModel.EnsureLinked(repo);
        var launcher = new PlatformLauncher(repo);
        try
        {
            await launcher.StartAsync(cancellationToken);
            var demo = await DemoTenant.EnsureAsync(repo, cancellationToken);
            PrintWelcome(repo, launcher, demo, clock.Elapsed);
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
            Console.WriteLine("Running in the background; ./platform down stops it.");
            return 0;
        }
        Console.WriteLine("Press Ctrl-C to stop.");
        var failed = await launcher.WaitForExitOrCancelAsync(cancellationToken);
        if (failed is not null)
        {
            Console.Error.WriteLine($"platform up: {failed} stopped unexpectedly; see .platform/logs/{failed}.log. Stopping everything.");
        }
        Console.WriteLine("Stopping...");
        await launcher.StopAsync();
        Console.WriteLine("Stopped.");
        return failed is null ? 0 : 1;
    }

    private static void PrintWelcome(RepoLayout repo, PlatformLauncher launcher, DemoCredentials? demo, TimeSpan elapsed)
    {
        var gateway = ServiceCatalog.Services.Single(s => s.Name == "gateway");
        var portal = ServiceCatalog.Services.Single(s => s.Name == "portal");
        Console.WriteLine();
        Console.WriteLine($"Platform is up ({elapsed.TotalSeconds:F0} s).");
        Console.WriteLine($"  Portal:     {portal.Url}");
        Console.WriteLine($"  Gateway:    {gateway.Url}");
        Console.WriteLine($"  PostgreSQL: {launcher.PostgresDisplay}");
        Console.WriteLine($"  Redis:      {launcher.RedisDisplay}");
        Console.WriteLine($"  Models:     {StarterModel.Describe(repo)}");
        if (demo is not null)
        {
            Console.WriteLine($"  Demo tenant '{demo.TenantName}': sign in as {demo.AdminEmail} / {demo.AdminPassword}");
            Console.WriteLine($"  Demo API key (shown once): {demo.ApiKey}");
        }
        Console.WriteLine("  Logs:       .platform/logs/");
    }
}
