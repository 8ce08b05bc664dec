using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Placement;

/// <summary>How to choose among devices that pass the filters.</summary>
public enum FitStrategy
{
    /// <summary>Least memory left over; small work goes to already-used NVLink groups, keeping whole groups free for gangs.</summary>
    BestFit,

    /// <summary>First device (group) in inventory order.</summary>
    FirstFit,
}

/// <summary>
/// Places a request on devices that pass every filter. A gang is placed all-or-nothing inside one
/// NVLink group: either every member gets a device or the result is a failure.
/// </summary>
public sealed class DevicePlacer(IReadOnlyList<IDeviceFilter> filters, FitStrategy strategy = FitStrategy.BestFit)
{
    /// <summary>Filters in evaluation order.</summary>
    public IReadOnlyList<IDeviceFilter> Filters { get; } = filters;

    /// <summary>Returns the chosen device ids, or null with the most common rejection reason.</summary>
    public (IReadOnlyList<string>? Devices, string Reason) TryPlace(WorkloadRequest request, PlacementContext context, IEnumerable<GpuDevice>? candidates = null)
    {
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var feasible = new List<GpuDevice>();
        foreach (var device in candidates ?? context.State.Inventory.Devices)
        {
            var reason = Filters.Select(f => f.Reject(device, request, context)).FirstOrDefault(r => r is not null);
            if (reason is null)
            {
                feasible.Add(device);
            }
            else
            {
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }
        }
        var chosen = request.IsGang ? ChooseGang(request, feasible, context) : ChooseSingle(request, feasible, context);
        if (chosen is not null)
        {
            return (chosen, "");
        }
        var top = reasons.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).FirstOrDefault();
        return (null, request.IsGang
            ? $"no NVLink group has {request.DeviceCount} devices with {Gib(request.MemoryPerDeviceBytes)} GiB free"
            : $"no device has {Gib(request.MemoryPerDeviceBytes)} GiB free ({top ?? "no devices"})");
    }

    private List<string>? ChooseSingle(WorkloadRequest request, List<GpuDevice> feasible, PlacementContext context)
    {
        if (feasible.Count == 0)
        {
            return null;
        }
        if (strategy == FitStrategy.FirstFit)
        {
            return [feasible[0].Id];
        }
        var emptyInGroup = EmptyDevicesPerGroup(context);
        var best = feasible
            .OrderBy(d => context.FreeBytes(d.Id) - request.MemoryPerDeviceBytes)
            .ThenBy(d => emptyInGroup.GetValueOrDefault(d.NvLinkGroup))
            .First();
        return [best.Id];
    }

    private List<string>? ChooseGang(WorkloadRequest request, List<GpuDevice> feasible, PlacementContext context)
    {
        var groups = feasible.GroupBy(d => d.NvLinkGroup, StringComparer.Ordinal)
            .Where(g => g.Count() >= request.DeviceCount)
            .Select(g => g.OrderBy(d => context.FreeBytes(d.Id)).ToList());
        var group = strategy == FitStrategy.FirstFit
            ? groups.FirstOrDefault()
            : groups.OrderBy(g => g.Count - request.DeviceCount)
                .ThenBy(g => g.Take(request.DeviceCount).Sum(d => context.FreeBytes(d.Id)))
                .FirstOrDefault();
        return group?.Take(request.DeviceCount).Select(d => d.Id).ToList();
    }

    private static Dictionary<string, int> EmptyDevicesPerGroup(PlacementContext context) =>
        context.State.Inventory.Devices
            .Where(d => context.FreeBytes(d.Id) == d.MemoryBytes)
            .GroupBy(d => d.NvLinkGroup, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    internal static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
