using System.Diagnostics;

namespace Platform.LocalInfra;

/// <summary>
/// Starts a process in its own session (setsid) with output appended to a log file, so it survives
/// the launcher (`up --detach`) and is not hit by the terminal's Ctrl-C; the launcher stops it by pid.
/// </summary>
public static class DetachedProcess
{
    public static int Start(string fileName, IEnumerable<string> arguments, string workingDirectory, string logPath,
        IDictionary<string, string?> environment)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var psi = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        // sh redirects, then execs: the pid we get is the program's own.
        foreach (var a in (string[])["sh", "-c", "exec \"$0\" \"$@\" >>\"$PLATFORM_LOG\" 2>&1 </dev/null", fileName, .. arguments])
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
        psi.Environment["PLATFORM_LOG"] = logPath;
        try
        {
            using var process = Process.Start(psi) ?? throw new InfraException($"Could not start {fileName}.");
            return process.Id;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InfraException($"Could not start {fileName}: {e.Message}.");
        }
    }

    /// <summary>SIGTERM, then SIGKILL for whatever is still alive after <paramref name="grace"/>.</summary>
    public static async Task StopAsync(IEnumerable<int> pids, TimeSpan grace)
    {
        var alive = pids.Where(ProcessSignals.IsAlive).ToList();
        foreach (var pid in alive)
        {
            ProcessSignals.Terminate(pid);
        }
        var deadline = DateTime.UtcNow + grace;
        while (alive.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            alive.RemoveAll(pid => !ProcessSignals.IsAlive(pid));
        }
        foreach (var pid in alive)
        {
            ProcessSignals.Kill(pid);
        }
    }
}
