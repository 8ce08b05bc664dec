using System.Globalization;

namespace Platform.FineTune.Pool;

/// <summary>Maps the scheduler's device ids (<c>node/gpuN</c>, <c>node/cpu</c>) onto a torch device name.</summary>
public static class PoolDevices
{
    /// <summary>"cuda:N" for a single placed GPU <c>…/gpuN</c>, otherwise "cpu".</summary>
    public static string TorchDevice(IReadOnlyList<string> deviceIds)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        if (deviceIds.Count != 1)
        {
            return "cpu";
        }
        var slash = deviceIds[0].LastIndexOf('/');
        var local = slash < 0 ? deviceIds[0] : deviceIds[0][(slash + 1)..];
        return local.StartsWith("gpu", StringComparison.Ordinal)
               && int.TryParse(local.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? $"cuda:{index}"
            : "cpu";
    }
}
