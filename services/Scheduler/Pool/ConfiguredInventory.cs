using System.Globalization;
using Platform.Scheduling;
using Platform.Scheduling.Inventory;

namespace Platform.Services.Scheduler.Pool;

/// <summary>Turns <c>Scheduler:Nodes</c> and <c>Scheduler:NvLinkGroups</c> into inventory, naming the setting at fault.</summary>
public static class ConfiguredInventory
{
    /// <summary>The configured nodes; throws <see cref="SchedulingInputException"/> on impossible or duplicate entries.</summary>
    public static IReadOnlyList<GpuNode> Nodes(SchedulerOptions options)
    {
        var nodes = new List<GpuNode>();
        for (var n = 0; n < options.Nodes.Count; n++)
        {
            var entry = options.Nodes[n];
            var at = $"Scheduler:Nodes:{n}";
            if (string.IsNullOrWhiteSpace(entry.Id) || entry.Id.Length > 200)
            {
                throw new SchedulingInputException($"{at}: Id is required (1 to 200 characters)");
            }
            if (entry.Id == options.NodeId)
            {
                throw new SchedulingInputException($"{at}: node '{entry.Id}' is the scheduler's own node (Scheduler:NodeId)");
            }
            if (nodes.Any(x => x.Id == entry.Id))
            {
                throw new SchedulingInputException($"{at}: node '{entry.Id}' is configured twice");
            }
            var (gpus, groups) = Gpus(entry, at);
            try
            {
                nodes.Add(WorkerRegistration.ToNode(entry.Id, gpus, groups));
            }
            catch (SchedulingInputException e)
            {
                throw new SchedulingInputException($"{at}: {e.Message}");
            }
        }
        return nodes;
    }

    private static (List<GpuReport> Gpus, List<IReadOnlyList<int>> Groups) Gpus(ConfiguredNodeOptions entry, string at)
    {
        var gpus = new List<GpuReport>();
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var g = 0; g < entry.Gpus.Count; g++)
        {
            var gpu = entry.Gpus[g];
            if (string.IsNullOrWhiteSpace(gpu.Model) || gpu.Count is < 1 or > 64 || gpu.MemoryGib <= 0)
            {
                throw new SchedulingInputException($"{at}:Gpus:{g}: needs a Model, MemoryGib > 0 and Count 1 to 64");
            }
            for (var c = 0; c < gpu.Count; c++)
            {
                var index = gpus.Count;
                gpus.Add(new GpuReport(index, gpu.Model, Bytes(gpu.MemoryGib))
                {
                    MigSliceBytes = gpu.MigSliceGib.Select(Bytes).ToList(),
                    MpsShares = gpu.MpsShares,
                });
                if (!string.IsNullOrWhiteSpace(gpu.NvLinkGroup))
                {
                    (groups.TryGetValue(gpu.NvLinkGroup, out var list) ? list : groups[gpu.NvLinkGroup] = []).Add(index);
                }
            }
        }
        return (gpus, groups.Values.Select(l => (IReadOnlyList<int>)l).ToList());
    }

    /// <summary>
    /// <c>Scheduler:NvLinkGroups</c> as index lists (<c>"0,1,2,3"</c> per group); null when none are set.
    /// Throws <see cref="SchedulingInputException"/> on an entry that is not a list of GPU indexes.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<int>>? LocalNvLinkGroups(SchedulerOptions options)
    {
        if (options.NvLinkGroups.Count == 0)
        {
            return null;
        }
        return options.NvLinkGroups.Select((text, i) => (IReadOnlyList<int>)text.Split(',', StringSplitOptions.TrimEntries)
            .Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? index
                : throw new SchedulingInputException($"Scheduler:NvLinkGroups:{i}: '{text}' is not a list of GPU indexes such as 0,1,2,3"))
            .ToList()).ToList();
    }

    private static long Bytes(double gib) => (long)(gib * (1L << 30));
}
