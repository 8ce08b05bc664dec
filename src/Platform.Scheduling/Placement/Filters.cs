using Platform.Scheduling.Inventory;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Placement;

/// <summary>Rejects devices on drained (cordoned) nodes.</summary>
public sealed class SchedulableNodeFilter : IDeviceFilter
{
    /// <inheritdoc />
    public string? Reject(GpuDevice device, WorkloadRequest request, PlacementContext context) =>
        context.State.IsSchedulable(device) ? null : "node is drained";
}

/// <summary>Rejects devices whose model the request does not allow.</summary>
public sealed class GpuModelFilter : IDeviceFilter
{
    /// <inheritdoc />
    public string? Reject(GpuDevice device, WorkloadRequest request, PlacementContext context) =>
        request.AllowedGpuModels is { Count: > 0 } models && !models.Contains(device.Model) ? "GPU model not allowed" : null;
}

/// <summary>Rejects devices without enough free memory (after MIG rounding) or without a free MPS share.</summary>
public sealed class MemoryFitFilter : IDeviceFilter
{
    /// <inheritdoc />
    public string? Reject(GpuDevice device, WorkloadRequest request, PlacementContext context)
    {
        if (DeviceFit.ChargedBytes(device, request.MemoryPerDeviceBytes) is not { } charged)
        {
            return "device too small";
        }
        if (device.MpsShares > 0 && context.WorkloadCount(device.Id) >= device.MpsShares)
        {
            return "no MPS share left";
        }
        return charged > context.FreeBytes(device.Id) ? "not enough free memory" : null;
    }
}

/// <summary>Restricts a tenant to its own devices (static partitioning).</summary>
public sealed class PartitionFilter(IReadOnlyDictionary<string, string> tenantOfDevice, string sharedPartition) : IDeviceFilter
{
    /// <inheritdoc />
    public string? Reject(GpuDevice device, WorkloadRequest request, PlacementContext context)
    {
        var owner = tenantOfDevice.GetValueOrDefault(device.Id, sharedPartition);
        var mine = tenantOfDevice.Values.Contains(request.TenantId) ? request.TenantId : sharedPartition;
        return owner == mine ? null : "device belongs to another partition";
    }
}

/// <summary>The filters every policy applies.</summary>
public static class DefaultFilters
{
    /// <summary>Schedulable node, allowed model, memory fit.</summary>
    public static IReadOnlyList<IDeviceFilter> All { get; } = [new SchedulableNodeFilter(), new GpuModelFilter(), new MemoryFitFilter()];
}
