using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Platform.Services.Scheduler.Backends.Local;

/// <summary>The polite stop: SIGTERM on Unix (Process.Kill only sends SIGKILL), a kill on Windows.</summary>
internal static class Signals
{
    private const int SigTerm = 15;

    /// <summary>Asks the process to stop; false when it is already gone.</summary>
    public static bool Terminate(Process process)
    {
        if (process.HasExited)
        {
            return false;
        }
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return true;
        }
        return Kill(process.Id, SigTerm) == 0;
    }

    // DllImport, not LibraryImport: the generated marshalling needs unsafe code, and two ints need none.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
