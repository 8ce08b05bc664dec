using System.Diagnostics;

namespace Platform.LocalInfra;

/// <summary>Node.js checks and the one-time `npm ci` of the embedded database's pinned packages.</summary>
public static class NodeTooling
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static async Task EnsurePgliteInstalledAsync(RepoLayout repo, CancellationToken cancellationToken = default)
    {
        var marker = Path.Combine(repo.PgliteDir, "node_modules", "@electric-sql", "pglite-socket", "package.json");
        if (File.Exists(marker))
        {
            return;
        }
        await InstallGate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(marker))
            {
                return;
            }
            RequireNode();
            // A lock file across processes: several test hosts may start at once on a fresh clone.
            var lockPath = Path.Combine(repo.PgliteDir, ".npm-install.lock");
            await using var fileLock = await FileLock.AcquireAsync(lockPath, TimeSpan.FromMinutes(5), cancellationToken);
            if (File.Exists(marker))
            {
                return;
            }
            var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], repo.PgliteDir, cancellationToken);
            if (code != 0)
            {
                throw new InfraException($"`npm ci` in {repo.PgliteDir} failed (exit {code}); check that the npm registry is reachable. Output:\n{output}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    public static void RequireNode()
    {
        if (FindOnPath("node") is null)
        {
            throw new InfraException("Node.js is not installed or not on PATH; install Node.js 20 or newer (it runs the embedded PostgreSQL) or point DATABASE_URL at a PostgreSQL with pgvector.");
        }
    }

    public static string? FindOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InfraException($"Could not start {fileName}.");
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken);
        return (p.ExitCode, (await stdout) + (await stderr));
    }
}
