using Platform.Scheduling.Inventory;

namespace Platform.Services.Scheduler.Backends.Local;

/// <summary>The value of <c>CUDA_VISIBLE_DEVICES</c> for a placement.</summary>
public static class CudaDevices
{
    /// <summary>
    /// GPU indexes of the placed devices (<c>node/gpu3</c> → 3, as <see cref="WorkerRegistration"/> names them),
    /// comma-separated in placement order. The CPU device contributes nothing, so a CPU placement gets an
    /// empty value, which hides every GPU from the process.
    /// </summary>
    public static string VisibleDevices(IEnumerable<GpuDevice> devices) =>
        string.Join(',', devices.Select(Index).OfType<int>());

    private static int? Index(GpuDevice device)
    {
        var slash = device.Id.LastIndexOf("/gpu", StringComparison.Ordinal);
        return slash >= 0 && int.TryParse(device.Id.AsSpan(slash + 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }
}
