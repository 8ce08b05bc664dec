using System.Runtime.InteropServices;

namespace Platform.LocalInfra;

/// <summary>Graceful stop for child processes: SIGTERM on Unix (lets ASP.NET Core and PGlite shut down cleanly).</summary>
public static partial class ProcessSignals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public static void Kill(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            Terminate(pid);
            return;
        }
        _ = Kill(pid, SigKill);
    }

    public static void Terminate(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            p.Kill(entireProcessTree: true);
            return;
        }
        _ = Kill(pid, SigTerm);
    }

    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                return !p.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
        return Kill(pid, 0) == 0;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
