using Platform.Scheduling.Inventory;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>The extended resource a placement asks the NVIDIA device plugin for.</summary>
public static class GpuResources
{
    /// <summary>Whole GPUs.</summary>
    public const string Gpu = "nvidia.com/gpu";

    /// <summary>
    /// <c>nvidia.com/gpu</c> × devices, or for a MIG device the slice it was charged, named like the
    /// device plugin's mixed strategy: <c>nvidia.com/mig-{g}g.{GB}gb</c>, where a slice of k eighths of
    /// the memory has 1, 2, 3 or 7 compute slices for k = 1, 2, 4, 8 (A100/H100 profiles) and GB is
    /// its size rounded. Null for the CPU device.
    /// </summary>
    public static (string Name, int Count)? For(IReadOnlyList<GpuDevice> devices, long chargedBytesPerDevice)
    {
        var first = devices[0];
        if (first.Model == "cpu")
        {
            return null;
        }
        if (first.MigSliceBytes.Count == 0 || chargedBytesPerDevice >= first.MemoryBytes)
        {
            return (Gpu, devices.Count);
        }
        var eighths = (int)Math.Round(chargedBytesPerDevice * 8.0 / first.MemoryBytes);
        var compute = eighths switch
        {
            <= 1 => 1,
            2 => 2,
            3 or 4 => 3,
            _ => 7,
        };
        var gb = (int)Math.Round(chargedBytesPerDevice / (double)(1L << 30));
        return ($"nvidia.com/mig-{compute}g.{gb}gb", devices.Count);
    }
}
