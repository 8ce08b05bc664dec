using System.Diagnostics;

namespace Platform.Services.Scheduler.Backends.Local;

/// <summary>One started workload process, with its output going to a log file.</summary>
internal sealed class LocalProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private bool _closed;

    private LocalProcess(Process process, StreamWriter log, string? endpoint, int restarts)
    {
        _process = process;
        _log = log;
        Endpoint = endpoint;
        Restarts = restarts;
    }

    /// <summary>Process id.</summary>
    public int Pid { get; private set; }

    /// <summary>Where it listens (<c>http://127.0.0.1:PORT</c>).</summary>
    public string? Endpoint { get; }

    /// <summary>Restarts before this start.</summary>
    public int Restarts { get; }

    /// <summary>When SIGTERM was sent; null while it is meant to run.</summary>
    public DateTimeOffset? StopRequestedAt { get; private set; }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Exit code; valid once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the process; throws <see cref="System.ComponentModel.Win32Exception"/> when the executable cannot run.</summary>
    public static LocalProcess Start(ProcessStartInfo info, string logPath, string? endpoint, int restarts)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var started = new LocalProcess(process, log, endpoint, restarts);
        process.OutputDataReceived += (_, e) => started.Write(e.Data);
        process.ErrorDataReceived += (_, e) => started.Write(e.Data);
        try
        {
            process.Start();
            started.Pid = process.Id;
        }
        catch
        {
            started.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Sends SIGTERM once and records when.</summary>
    public void RequestStop(DateTimeOffset now)
    {
        if (StopRequestedAt is not null)
        {
            return;
        }
        StopRequestedAt = now;
        Signals.Terminate(_process);
    }

    /// <summary>Kills the process and its children (the grace period is over).</summary>
    public bool KillIfRunning()
    {
        if (_process.HasExited)
        {
            return false;
        }
        _process.Kill(entireProcessTree: true);
        return true;
    }

    /// <summary>Waits for the exit (shutdown).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logLock)
        {
            if (!_closed)
            {
                _log.WriteLine(line);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Pid != 0 && _process.HasExited)
        {
            // Lets the output pumps reach end of stream, so the last lines (a checkpoint message) reach the
            // log. Only the parameterless WaitForExit waits for that; a grandchild still holding the pipe
            // could hold it forever, hence the bound.
            Task.Run(() => _process.WaitForExit()).Wait(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
        lock (_logLock)
        {
            _closed = true;
            _log.Dispose();
        }
    }
}
