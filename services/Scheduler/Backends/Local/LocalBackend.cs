using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Pool;

namespace Platform.Services.Scheduler.Backends.Local;

/// <summary>
/// <c>Scheduler:Backend = local</c>: runs the placements on this host's node as child processes.
/// Each gets a free loopback port and <c>CUDA_VISIBLE_DEVICES</c> from its placed GPUs. A preempted
/// or released one gets SIGTERM, then a kill when its grace period (on the injected clock) is over.
/// A crashed one is restarted up to <see cref="LocalBackendOptions.MaxRestarts"/> times, then reported
/// failed; a fine-tune that exits 0 is reported completed. Placements on worker nodes are left to the
/// workers.
/// </summary>
public sealed partial class LocalBackend(
    IOptions<LocalBackendOptions> options, IOptions<SchedulerOptions> scheduler, IConfiguration configuration, TimeProvider time, ILogger<LocalBackend> logger)
    : IWorkloadBackend, IAsyncDisposable
{
    private static readonly string[] s_inheritedUrls = ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "URLS"];

    private readonly LocalBackendOptions _options = options.Value;
    private readonly string _nodeId = scheduler.Value.NodeId;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, LocalProcess> _processes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastExit = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <inheritdoc />
    public string Name => "local";

    /// <summary>Folder of the workload logs.</summary>
    public string LogDir => _options.LogDir is { Length: > 0 } dir ? dir
        : configuration["Platform:DataDir"] is { Length: > 0 } data ? Path.Combine(data, "workloads")
        : Path.Combine(Path.GetTempPath(), "platform-scheduler", "workloads");

    /// <summary>The log file of one workload.</summary>
    public string LogPath(string workloadId) => Path.Combine(LogDir, SafeFileName(workloadId) + ".log");

    /// <inheritdoc />
    public async Task<ReconcileReport> ReconcileAsync(IReadOnlyList<DesiredWorkload> desired, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var report = new ReconcileReport();
            if (_disposed)
            {
                return report; // a cycle still running at shutdown must not start children after they were all stopped
            }
            var wanted = desired.Where(d => d.NodeId == _nodeId).ToDictionary(d => d.Id, StringComparer.Ordinal);
            foreach (var (id, process) in _processes.ToList())
            {
                var d = wanted.GetValueOrDefault(id);
                if (d is null || d.Stop)
                {
                    StopOrCollect(id, process, d, report);
                }
                else if (process.HasExited)
                {
                    HandleExit(d, process, report);
                }
            }
            foreach (var d in wanted.Values)
            {
                if (_processes.ContainsKey(d.Id))
                {
                    continue;
                }
                if (d.Stop)
                {
                    report.Stopped.Add(d.Id); // nothing runs for it (never started, or gone before this pass)
                }
                else if (!report.Completed.Concat(report.Failed).Any(n => n.WorkloadId == d.Id))
                {
                    Launch(d, 0, report);
                }
            }
            foreach (var (id, process) in _processes)
            {
                var state = process.StopRequestedAt is not null ? "stopping" : "running";
                report.Observed[id] = new ObservedWorkload(Name, state, $"pid {process.Pid}", process.Endpoint, process.Restarts, _lastExit.GetValueOrDefault(id));
            }
            return report;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void StopOrCollect(string id, LocalProcess process, DesiredWorkload? d, ReconcileReport report)
    {
        if (process.HasExited)
        {
            _processes.Remove(id);
            _lastExit.Remove(id);
            LogStopped(logger, id, process.Pid, process.ExitCode);
            process.Dispose();
            if (d is not null)
            {
                report.Stopped.Add(id);
            }
            return;
        }
        if (process.StopRequestedAt is null)
        {
            var grace = TimeSpan.FromSeconds(d?.GraceSeconds(_options.GraceSeconds) ?? _options.GraceSeconds);
            process.RequestStop(time.GetUtcNow());
            LogStopping(logger, id, process.Pid, grace.TotalSeconds, d is null ? "released" : "preempted");
            _ = KillAfterGraceAsync(id, process, grace);
        }
    }

    private async Task KillAfterGraceAsync(string id, LocalProcess process, TimeSpan grace)
    {
        try
        {
            await Task.Delay(grace, time);
            if (process.KillIfRunning())
            {
                LogKilled(logger, id, process.Pid, grace.TotalSeconds);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already reaped or disposed: nothing left to kill.
        }
    }

    private void HandleExit(DesiredWorkload d, LocalProcess process, ReconcileReport report)
    {
        var code = process.ExitCode;
        _processes.Remove(d.Id);
        process.Dispose();
        var exit = $"exit code {code}";
        if (d.Request.Kind != WorkloadKind.InferenceReplica && code == 0)
        {
            _lastExit.Remove(d.Id);
            report.Completed.Add(new WorkloadNote(d.Id, "exited 0"));
            return;
        }
        if (process.Restarts >= _options.MaxRestarts)
        {
            _lastExit.Remove(d.Id);
            report.Failed.Add(new WorkloadNote(d.Id, $"crashed {process.Restarts + 1} time(s); last {exit} (log: {LogPath(d.Id)})"));
            return;
        }
        _lastExit[d.Id] = exit;
        LogCrashed(logger, d.Id, process.Pid, code, process.Restarts + 1, _options.MaxRestarts);
        if (Launch(d, process.Restarts + 1, report))
        {
            report.Restarted.Add(new WorkloadNote(d.Id, $"{exit}; restart {process.Restarts + 1} of {_options.MaxRestarts}"));
        }
    }

    private bool Launch(DesiredWorkload d, int restarts, ReconcileReport report)
    {
        var kind = WorkloadKinds.ToName(d.Request.Kind);
        if (!_options.Commands.TryGetValue(kind, out var command))
        {
            report.Failed.Add(new WorkloadNote(d.Id, $"the local backend has no command for kind '{kind}' (Scheduler:Local:Commands:{kind})"));
            return false;
        }
        try
        {
            var port = FreePort();
            var info = StartInfo(d, command, port, restarts);
            var process = LocalProcess.Start(info, LogPath(d.Id), $"http://127.0.0.1:{port}", restarts);
            _processes[d.Id] = process;
            LogStarted(logger, d.Id, process.Pid, info.Environment["CUDA_VISIBLE_DEVICES"] ?? "", port);
            report.Started.Add(new WorkloadNote(d.Id, $"pid {process.Pid}, port {port}"));
            return true;
        }
        catch (Exception e) when (e is Win32Exception or FormatException or IOException or UnauthorizedAccessException)
        {
            report.Failed.Add(new WorkloadNote(d.Id, $"cannot start '{command.FileName}': {e.Message}"));
            return false;
        }
    }

    private ProcessStartInfo StartInfo(DesiredWorkload d, LocalCommand command, int port, int restarts)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["workload_id"] = d.Id,
            ["tenant_id"] = d.Request.TenantId,
            ["priority"] = d.Request.Priority.ToName(),
            ["kind"] = WorkloadKinds.ToName(d.Request.Kind),
            ["port"] = port.ToString(CultureInfo.InvariantCulture),
            ["cuda_visible_devices"] = CudaDevices.VisibleDevices(d.Devices),
            ["device_ids"] = string.Join(',', d.Workload.DeviceIds),
            ["memory_per_device_bytes"] = d.Request.MemoryPerDeviceBytes.ToString(CultureInfo.InvariantCulture),
            ["device_count"] = d.Request.DeviceCount.ToString(CultureInfo.InvariantCulture),
            ["model"] = d.Model?.Name ?? "",
            ["model_dir"] = d.Model?.Directory ?? "",
            ["kv_cache_bytes"] = d.Model?.KvCacheBytes.ToString(CultureInfo.InvariantCulture) ?? "",
        };
        var info = new ProcessStartInfo(CommandTemplate.Expand(command.FileName, values));
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(CommandTemplate.Expand(argument, values));
        }
        if (command.WorkingDirectory is { Length: > 0 } dir)
        {
            info.WorkingDirectory = dir;
        }
        // The scheduler's own URL settings must not leak into a child: it would try to bind our port.
        foreach (var name in s_inheritedUrls)
        {
            info.Environment.Remove(name);
        }
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["PORT"] = values["port"];
        info.Environment["CUDA_VISIBLE_DEVICES"] = values["cuda_visible_devices"];
        info.Environment["PLATFORM_WORKLOAD_ID"] = d.Id;
        info.Environment["PLATFORM_TENANT_ID"] = d.Request.TenantId;
        info.Environment["PLATFORM_PRIORITY"] = values["priority"];
        info.Environment["PLATFORM_WORKLOAD_KIND"] = values["kind"];
        info.Environment["PLATFORM_DEVICE_IDS"] = values["device_ids"];
        info.Environment["PLATFORM_MEMORY_PER_DEVICE_BYTES"] = values["memory_per_device_bytes"];
        info.Environment["PLATFORM_RESTARTS"] = restarts.ToString(CultureInfo.InvariantCulture);
        if (d.Model is { } model)
        {
            // A scaled replica serves its model with the KV budget it was sized for (the Inference service's settings).
            info.Environment["PLATFORM_MODEL"] = model.Name;
            info.Environment[$"Inference__Models__{model.Name}"] = model.Directory;
            info.Environment["Inference__KvCacheBytes"] = values["kv_cache_bytes"];
        }
        foreach (var (name, value) in command.Environment)
        {
            info.Environment[name] = CommandTemplate.Expand(value, values);
        }
        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string SafeFileName(string id) =>
        string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <summary>Scheduler shutdown: SIGTERM to every child, up to the grace period (real time), then a kill.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            foreach (var process in _processes.Values)
            {
                process.RequestStop(time.GetUtcNow());
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(_options.GraceSeconds));
            foreach (var (id, process) in _processes)
            {
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    if (process.KillIfRunning())
                    {
                        LogKilled(logger, id, process.Pid, _options.GraceSeconds);
                    }
                }
                process.Dispose();
            }
            _processes.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {WorkloadId} as pid {Pid} (CUDA_VISIBLE_DEVICES={Devices}, port {Port})")]
    private static partial void LogStarted(ILogger logger, string workloadId, int pid, string devices, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping {WorkloadId} (pid {Pid}, {Why}): SIGTERM, kill after {GraceSeconds} s")]
    private static partial void LogStopping(ILogger logger, string workloadId, int pid, double graceSeconds, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "{WorkloadId} (pid {Pid}) stopped with exit code {ExitCode}")]
    private static partial void LogStopped(ILogger logger, string workloadId, int pid, int exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{WorkloadId} (pid {Pid}) ignored SIGTERM for {GraceSeconds} s: killed")]
    private static partial void LogKilled(ILogger logger, string workloadId, int pid, double graceSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{WorkloadId} (pid {Pid}) crashed with exit code {ExitCode}: restart {Restart} of {MaxRestarts}")]
    private static partial void LogCrashed(ILogger logger, string workloadId, int pid, int exitCode, int restart, int maxRestarts);
}
