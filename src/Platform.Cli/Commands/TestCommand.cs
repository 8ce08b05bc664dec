using System.Diagnostics;
using System.Xml.Linq;
using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>
/// `./platform test [dotnet test args]`: builds the solution, runs every test project, and ends
/// with one line `N passed, N failed, N skipped` summed from the TRX results.
/// </summary>
public sealed class TestCommand : ICommand
{
    public string Name => "test";

    public string Summary => "build and run every test; ends with 'N passed, N failed, N skipped'";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var repo = RepoLayout.Find(Directory.GetCurrentDirectory());
        var resultsDir = Path.Combine(repo.StateDir, "test-results", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss"));

        var build = await RunAsync(["build", "Platform.sln", "-nologo", "-v", "q", "-clp:NoSummary"], repo, cancellationToken);
        if (build != 0)
        {
            Console.WriteLine("The build failed; no tests ran.");
            Console.WriteLine("0 passed, 1 failed");
            return 1;
        }

        // One test project at a time (-m:1): several hosts that each run PostgreSQL, Redis and model
        // engines starve each other on a 2-core machine, and under that load the engine-hosting
        // projects have crashed natively (docs/serving.md, "Known issues"). Sequential is ~4 minutes.
        var testExit = await RunAsync(
            ["test", "Platform.sln", "--no-build", "-nologo", "-m:1", "--logger", "trx", "--results-directory", resultsDir, .. args],
            repo, cancellationToken);

        var (passed, failed, skipped, files) = Summarise(resultsDir);
        if (testExit != 0 && failed == 0)
        {
            // A crashed or aborted test host reports no failures of its own; count it as one.
            Console.WriteLine($"dotnet test exited with code {testExit} (a test host crashed or aborted; see the output above).");
            failed = 1;
        }
        Console.WriteLine($"Results: {files} test projects, TRX files in {Path.GetRelativePath(repo.Root, resultsDir)}");
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed == 0 && testExit == 0 ? 0 : 1;
    }

    private static (int Passed, int Failed, int Skipped, int Files) Summarise(string resultsDir)
    {
        int passed = 0, failed = 0, skipped = 0, files = 0;
        if (!Directory.Exists(resultsDir))
        {
            return (0, 0, 0, 0);
        }
        foreach (var trx in Directory.EnumerateFiles(resultsDir, "*.trx", SearchOption.AllDirectories))
        {
            var counters = XDocument.Load(trx).Descendants().FirstOrDefault(e => e.Name.LocalName == "Counters");
            if (counters is null)
            {
                continue;
            }
            files++;
            int Count(string name) => int.TryParse(counters.Attribute(name)?.Value, out var n) ? n : 0;
            passed += Count("passed");
            failed += Count("failed") + Count("error") + Count("timeout") + Count("aborted");
            skipped += Count("notExecuted") + Count("inconclusive");
        }
        return (passed, failed, skipped, files);
    }

    private static async Task<int> RunAsync(string[] args, RepoLayout repo, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = repo.Root, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new CommandLineError("could not start dotnet.");
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return process.ExitCode;
    }
}
