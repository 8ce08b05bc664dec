using System.Globalization;

namespace Platform.Scheduling.Inventory;

/// <summary>
/// Parses a pool description such as <c>4x8xA100-80GB,2x4xL40S-48GB</c>: node count × GPUs per node
/// × model, where the model name ends in its memory in GiB. All GPUs of a node form one NVLink group
/// unless the entry ends in <c>:pcie</c> (no NVLink) or <c>:nvlink2</c> (NVLink pairs).
/// </summary>
public static class PoolSpec
{
    /// <summary>Builds the inventory; throws <see cref="SchedulingInputException"/> on a malformed entry.</summary>
    public static PoolInventory Parse(string spec)
    {
        var nodes = new List<GpuNode>();
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (entry, topology) = raw.Split(':') is [var e, var t] ? (e, t.ToLowerInvariant()) : (raw, "nvlink");
            var parts = entry.Split('x', 3);
            if (parts.Length != 3
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var nodeCount) || nodeCount <= 0
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var perNode) || perNode <= 0)
            {
                throw new SchedulingInputException($"pool entry '{raw}' is not NODESxGPUSxMODEL, e.g. 4x8xA100-80GB");
            }
            var model = parts[2];
            var memory = MemoryFromModelName(model)
                ?? throw new SchedulingInputException($"GPU model '{model}' does not end in its memory, e.g. A100-80GB");
            var groupSize = topology switch
            {
                "nvlink" => perNode,
                "nvlink2" => 2,
                "pcie" => 1,
                _ => throw new SchedulingInputException($"pool entry '{raw}': topology must be nvlink, nvlink2 or pcie"),
            };
            for (var n = 0; n < nodeCount; n++)
            {
                var nodeId = $"node-{nodes.Count:D2}";
                var devices = Enumerable.Range(0, perNode)
                    .Select(i => new GpuDevice($"{nodeId}/gpu{i}", nodeId, model, memory, $"{nodeId}/nvl{i / groupSize}"))
                    .ToList();
                nodes.Add(new GpuNode(nodeId, devices));
            }
        }
        return nodes.Count == 0 ? throw new SchedulingInputException("the pool description is empty") : new PoolInventory(nodes);
    }

    /// <summary>Memory in bytes from a name ending in <c>-NNGB</c> (read as GiB), or null.</summary>
    public static long? MemoryFromModelName(string model)
    {
        var dash = model.LastIndexOf('-');
        if (dash < 0 || !model.EndsWith("GB", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var digits = model[(dash + 1)..^2];
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var gib) && gib > 0
            ? gib * (1L << 30)
            : null;
    }
}
