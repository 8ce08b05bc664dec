using Platform.Scheduling.Inventory;

namespace Platform.Scheduling.State;

/// <summary>How much of a device a request is charged, given MIG slicing.</summary>
public static class DeviceFit
{
    /// <summary>Bytes charged on <paramref name="device"/> for <paramref name="requestBytes"/>; null when no MIG slice is large enough.</summary>
    public static long? ChargedBytes(GpuDevice device, long requestBytes)
    {
        if (device.MigSliceBytes.Count == 0)
        {
            return requestBytes <= device.MemoryBytes ? requestBytes : null;
        }
        var slices = device.MigSliceBytes.Where(s => s >= requestBytes).ToList();
        return slices.Count == 0 ? null : slices.Min();
    }
}
