using Platform.Scheduling;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workers;

namespace Platform.Services.Scheduler.Pool;

/// <summary>
/// This host's devices: its CPU as one device (unless <see cref="SchedulerOptions.CpuDevice"/> is off), plus the GPUs
/// nvidia-smi reports when there are any, in the NVLink groups of <see cref="SchedulerOptions.NvLinkGroups"/> or, when
/// that is empty, of <c>nvidia-smi topo -m</c>.
/// </summary>
public static partial class LocalDevices
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Builds the local node; GPU detection failures are logged and leave the CPU device only.</summary>
    public static async Task<GpuNode> DetectAsync(SchedulerOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var memory = options.LocalMemoryBytes > 0 ? options.LocalMemoryBytes : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var cpu = options.CpuDevice ? PoolInventory.LocalCpuNode(options.NodeId, memory) : new GpuNode(options.NodeId, []);
        if (!options.DetectGpus)
        {
            return cpu;
        }
        try
        {
            var csv = await NvidiaSmi.RunAsync(options.NvidiaSmiPath, NvidiaSmi.QueryArguments, CommandTimeout, cancellationToken);
            var gpus = new List<GpuReport>();
            foreach (var gpu in NvidiaSmiParser.Parse(csv))
            {
                if (gpu.MigEnabled == true)
                {
                    // Its MIG instances are not whole GPUs and this host has no slice configuration: a worker or Scheduler:Nodes must declare them.
                    LogMigSkipped(logger, gpu.Index);
                    continue;
                }
                gpus.Add(gpu);
            }
            if (gpus.Count == 0)
            {
                return cpu;
            }
            var groups = ConfiguredInventory.LocalNvLinkGroups(options) ?? await TopologyAsync(options.NvidiaSmiPath, logger, cancellationToken);
            var node = WorkerRegistration.ToNode(options.NodeId, gpus, groups.Select(g => (IReadOnlyList<int>)g.Where(i => gpus.Any(x => x.Index == i)).ToList()).ToList());
            LogGpus(logger, node.Devices.Count, node.Devices.Select(d => d.NvLinkGroup).Distinct(StringComparer.Ordinal).Count());
            return new GpuNode(options.NodeId, [.. cpu.Devices, .. node.Devices]);
        }
        catch (SchedulingInputException e)
        {
            LogNoGpus(logger, e.Message);
            return cpu;
        }
    }

    private static async Task<IReadOnlyList<IReadOnlyList<int>>> TopologyAsync(string nvidiaSmi, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return NvidiaTopologyParser.Parse(await NvidiaSmi.RunAsync(nvidiaSmi, NvidiaSmi.TopologyArguments, CommandTimeout, cancellationToken));
        }
        catch (SchedulingInputException e)
        {
            LogNoTopology(logger, e.Message);
            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No GPUs added from this host ({Why}); the pool has the CPU device only")]
    private static partial void LogNoGpus(ILogger logger, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "This host's GPUs: {Count} in {Groups} NVLink group(s)")]
    private static partial void LogGpus(ILogger logger, int count, int groups);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No NVLink topology ({Why}); each local GPU is its own group. Set Scheduler:NvLinkGroups to fix it")]
    private static partial void LogNoTopology(ILogger logger, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local GPU {Index} has MIG enabled and no slices are configured for it: left out of the pool (register it as a worker with mig_slice_bytes, or list it in Scheduler:Nodes)")]
    private static partial void LogMigSkipped(ILogger logger, int index);
}
