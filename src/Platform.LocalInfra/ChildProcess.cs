using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.LocalInfra;

/// <summary>
/// A child process whose output goes to a log file, and which is killed with its whole tree on
/// dispose, or when this process exits (SIGTERM, an unhandled Ctrl-C) without disposing it.
/// <see cref="WaitForLineAsync"/> lets a caller wait for a readiness line.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillLive();

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly List<string> _recent = [];
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _watchers = [];

    private ChildProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task Exited => _process.WaitForExitAsync();

    /// <param name="keepStdinOpen">Hold the child's stdin open; it sees end-of-file when we go away.</param>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        string logPath, IDictionary<string, string?>? environment = null, bool keepStdinOpen = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in arguments)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[key] = value;
        }

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.Dispose();
            throw new InfraException($"Could not start {name} ('{fileName}'): {e.Message}.");
        }
        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!keepStdinOpen)
        {
            process.StandardInput.Close();
        }
        return child;
    }

    /// <summary>The last lines the process wrote (for error messages).</summary>
    public string RecentOutput
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _recent);
            }
        }
    }

    /// <summary>Waits for an output line matching <paramref name="match"/>; fails if the process exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var seen = _recent.FirstOrDefault(match);
            if (seen is not null)
            {
                return seen;
            }
            _watchers.Add((match, done));
        }
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        var exited = _process.WaitForExitAsync(timeoutCts.Token);
        var first = await Task.WhenAny(done.Task, exited, Task.Delay(Timeout.Infinite, timeoutCts.Token)).ConfigureAwait(false);
        if (first == done.Task)
        {
            return await done.Task;
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (_process.HasExited)
        {
            // Let the output readers drain so the caller sees the process's last words.
            await Task.Delay(100, CancellationToken.None);
            if (done.Task.IsCompleted)
            {
                return await done.Task;
            }
            throw new InfraException($"{Name} exited with code {_process.ExitCode} before it was ready. Its last output:\n{RecentOutput}");
        }
        throw new InfraException($"{Name} was not ready within {timeout.TotalSeconds:F0} s. Its last output:\n{RecentOutput}");
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        _log.WriteLine(line);
        lock (_gate)
        {
            _recent.Add(line);
            if (_recent.Count > 40)
            {
                _recent.RemoveAt(0);
            }
            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                if (_watchers[i].Match(line))
                {
                    _watchers[i].Done.TrySetResult(line);
                    _watchers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Asks the process to stop (SIGTERM), then kills its tree after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            ProcessSignals.Terminate(_process.Id);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(grace);
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(5));
            Live.TryRemove(_process.Id, out _);
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        _process.Dispose();
        await _log.DisposeAsync();
    }

    private static void KillLive()
    {
        foreach (var process in Live.Values)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }
}
