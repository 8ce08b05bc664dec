using Platform.Scheduling.Inventory;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Placement;

/// <summary>Requests that can never run on this inventory, however empty it gets, with the reason.</summary>
public static class Feasibility
{
    /// <summary>Null when the request could run on an empty pool; otherwise why it never can.</summary>
    public static string? WhyNever(PoolInventory inventory, WorkloadRequest request)
    {
        if (request.DeviceCount <= 0 || request.MemoryPerDeviceBytes <= 0)
        {
            return $"workload '{request.Id}' asks for {request.DeviceCount} devices of {request.MemoryPerDeviceBytes} bytes";
        }
        var allowed = inventory.Devices
            .Where(d => request.AllowedGpuModels is not { Count: > 0 } m || m.Contains(d.Model)).ToList();
        if (allowed.Count == 0)
        {
            return $"workload '{request.Id}' allows GPU models {string.Join("|", request.AllowedGpuModels!)} and the pool has none";
        }
        var fitting = allowed.Where(d => DeviceFit.ChargedBytes(d, request.MemoryPerDeviceBytes) is not null).ToList();
        if (fitting.Count == 0)
        {
            var largest = allowed.MaxBy(d => d.MemoryBytes)!;
            return $"workload '{request.Id}' needs {DevicePlacer.Gib(request.MemoryPerDeviceBytes)} GiB per device but the largest device ({largest.Model}) has {DevicePlacer.Gib(largest.MemoryBytes)} GiB";
        }
        var largestGroup = fitting.GroupBy(d => d.NvLinkGroup).Max(g => g.Count());
        return request.DeviceCount > largestGroup
            ? $"workload '{request.Id}' needs a gang of {request.DeviceCount} devices on one NVLink group but the largest suitable group has {largestGroup}"
            : null;
    }
}
