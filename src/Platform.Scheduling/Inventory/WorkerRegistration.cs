namespace Platform.Scheduling.Inventory;

/// <summary>
/// Turns what a GPU worker reports into an inventory node, refusing impossible numbers
/// (used &gt; total, negative or absurd memory, utilisation outside 0–100, duplicate GPUs).
/// </summary>
public static class WorkerRegistration
{
    /// <summary>Largest device memory believed (the biggest GPUs today have under 300 GiB).</summary>
    public const long MaxPlausibleDeviceBytes = 2048L << 30;

    /// <summary>Most MIG instances one GPU can have (seven on A100 and H100; a little headroom).</summary>
    public const int MaxMigSlices = 16;

    /// <summary>Most MPS clients per GPU believed (NVIDIA documents 48 for Volta, 60 on later GPUs).</summary>
    public const int MaxMpsShares = 128;

    /// <summary>Every problem with the report; empty when it is sound.</summary>
    public static IReadOnlyList<string> Problems(string nodeId, IReadOnlyList<GpuReport> gpus)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(nodeId))
        {
            problems.Add("the worker sent no node id");
        }
        if (gpus.Count == 0)
        {
            problems.Add($"worker '{nodeId}' reported no GPUs");
        }
        foreach (var dup in gpus.GroupBy(g => g.Index).Where(g => g.Count() > 1))
        {
            problems.Add($"worker '{nodeId}' reported GPU index {dup.Key} {dup.Count()} times");
        }
        foreach (var dup in gpus.Where(g => g.Uuid is not null).GroupBy(g => g.Uuid).Where(g => g.Count() > 1))
        {
            problems.Add($"worker '{nodeId}' reported GPU uuid {dup.Key} {dup.Count()} times");
        }
        foreach (var g in gpus)
        {
            var gpu = $"worker '{nodeId}' GPU {g.Index}";
            if (g.Index < 0)
            {
                problems.Add($"{gpu} has a negative index");
            }
            if (g.MemoryTotalBytes <= 0 || g.MemoryTotalBytes > MaxPlausibleDeviceBytes)
            {
                problems.Add($"{gpu} reports an impossible memory.total of {g.MemoryTotalBytes >> 20} MiB");
            }
            if (g.MemoryUsedBytes is < 0 || g.MemoryUsedBytes > g.MemoryTotalBytes)
            {
                problems.Add($"{gpu} reports memory.used {g.MemoryUsedBytes >> 20} MiB outside 0..{g.MemoryTotalBytes >> 20} MiB");
            }
            if (g.MemoryFreeBytes is < 0 || g.MemoryFreeBytes > g.MemoryTotalBytes)
            {
                problems.Add($"{gpu} reports memory.free {g.MemoryFreeBytes >> 20} MiB outside 0..{g.MemoryTotalBytes >> 20} MiB");
            }
            if (g.UtilizationPercent is < 0 or > 100)
            {
                problems.Add($"{gpu} reports utilization.gpu {g.UtilizationPercent}% outside 0..100");
            }
            SlicingProblems(g, gpu, problems);
        }
        return problems;
    }

    // MIG splits a GPU into instances that cannot be combined, so an enabled GPU is only schedulable as its slices.
    private static void SlicingProblems(GpuReport g, string gpu, List<string> problems)
    {
        if (g.MigEnabled == true && g.MigSliceBytes.Count == 0)
        {
            problems.Add($"{gpu} has MIG enabled but no MIG slices are configured for it, so it cannot be scheduled as a whole GPU; " +
                "send mig_slice_bytes (the memory of each MIG instance) or configure the node in Scheduler:Nodes");
        }
        if (g.MigSliceBytes.Count > MaxMigSlices)
        {
            problems.Add($"{gpu} lists {g.MigSliceBytes.Count} MIG slices; a GPU has at most {MaxMigSlices}");
        }
        if (g.MigSliceBytes.Any(s => s <= 0 || s > g.MemoryTotalBytes))
        {
            problems.Add($"{gpu} lists a MIG slice outside 1 byte..memory.total {g.MemoryTotalBytes >> 20} MiB");
        }
        if (g.MpsShares is < 0 or > MaxMpsShares)
        {
            problems.Add($"{gpu} asks for {g.MpsShares} MPS shares outside 0..{MaxMpsShares}");
        }
    }

    /// <summary>
    /// Builds the node. <paramref name="nvLinkGroups"/> lists GPU indexes that share an NVLink domain
    /// (for example all eight behind an NVSwitch); a GPU in no group is its own group. Throws
    /// <see cref="SchedulingInputException"/> with the first problem when the report is impossible.
    /// </summary>
    public static GpuNode ToNode(string nodeId, IReadOnlyList<GpuReport> gpus, IReadOnlyList<IReadOnlyList<int>>? nvLinkGroups = null)
    {
        var problems = Problems(nodeId, gpus);
        if (problems.Count > 0)
        {
            throw new SchedulingInputException(problems[0]);
        }
        var groupOf = new Dictionary<int, string>();
        for (var i = 0; i < (nvLinkGroups?.Count ?? 0); i++)
        {
            foreach (var index in nvLinkGroups![i])
            {
                if (!groupOf.TryAdd(index, $"{nodeId}/nvl{i}"))
                {
                    throw new SchedulingInputException($"worker '{nodeId}' puts GPU {index} in two NVLink groups");
                }
            }
        }
        var devices = gpus.OrderBy(g => g.Index).Select(g => new GpuDevice(
            $"{nodeId}/gpu{g.Index}", nodeId, ModelName(g), g.MemoryTotalBytes,
            groupOf.GetValueOrDefault(g.Index, $"{nodeId}/gpu{g.Index}"))
        {
            MigSliceBytes = g.MigSliceBytes,
            MpsShares = g.MpsShares ?? 0,
        }).ToList();
        return new GpuNode(nodeId, devices);
    }

    private static string ModelName(GpuReport g) =>
        g.Name.StartsWith("NVIDIA ", StringComparison.Ordinal) ? g.Name["NVIDIA ".Length..] : g.Name;
}
