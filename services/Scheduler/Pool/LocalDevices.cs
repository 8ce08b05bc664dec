using System.Diagnostics;
using Platform.Scheduling;
using Platform.Scheduling.Inventory;

namespace Platform.Services.Scheduler.Pool;

/// <summary>This host's devices: its CPU as one device (unless <see cref="SchedulerOptions.CpuDevice"/> is off), plus the GPUs nvidia-smi reports when there are any.</summary>
public static partial class LocalDevices
{
    /// <summary>Builds the local node; GPU detection failures are logged and leave the CPU device only.</summary>
    public static async Task<GpuNode> DetectAsync(SchedulerOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var memory = options.LocalMemoryBytes > 0 ? options.LocalMemoryBytes : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var cpu = options.CpuDevice ? PoolInventory.LocalCpuNode(options.NodeId, memory) : new GpuNode(options.NodeId, []);
        if (!options.DetectGpus)
        {
            return cpu;
        }
        var csv = await RunNvidiaSmiAsync(options.NvidiaSmiPath, logger, cancellationToken);
        if (csv is null)
        {
            return cpu;
        }
        try
        {
            var gpus = WorkerRegistration.ToNode(options.NodeId, NvidiaSmiParser.Parse(csv));
            return new GpuNode(options.NodeId, [.. cpu.Devices, .. gpus.Devices]);
        }
        catch (SchedulingInputException e)
        {
            LogBadReport(logger, e.Message);
            return cpu;
        }
    }

    private static async Task<string?> RunNvidiaSmiAsync(string path, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(path, ["--query-gpu=" + NvidiaSmiParser.QueryFields, "--format=csv"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return null;
            }
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                LogNoGpus(logger, $"nvidia-smi exited with {process.ExitCode}");
                return null;
            }
            return output;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            LogNoGpus(logger, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No GPUs on this host ({Why}); the pool has the CPU device only")]
    private static partial void LogNoGpus(ILogger logger, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "nvidia-smi reported impossible numbers: {Problem}; GPUs ignored")]
    private static partial void LogBadReport(ILogger logger, string problem);
}
