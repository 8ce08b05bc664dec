using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Platform.Inference;

/// <summary>
/// Names of the devices the engine runs on ("cpu", "cuda", "cuda:N"), checked against what the
/// loaded LibTorch offers. This repository ships TorchSharp-cpu; "cuda" works only where a CUDA
/// LibTorch is on the library path (docs/engine.md, "Devices").
/// </summary>
public static partial class TorchDevices
{
    /// <summary>Parses <paramref name="name"/> (null or empty means CPU); throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static torch.Device Parse(string? name)
    {
        var text = name?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(text) || text == "cpu")
        {
            return torch.CPU;
        }
        var match = CudaName().Match(text);
        if (!match.Success)
        {
            throw new ArgumentException($"device '{name}' is not one of cpu, cuda, cuda:N");
        }
        if (!torch.cuda.is_available())
        {
            throw new ArgumentException(
                $"device '{name}': CUDA is not available — this process loaded a CPU-only LibTorch (TorchSharp-cpu) or found no GPU");
        }
        var index = match.Groups[1].Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var count = torch.cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException($"device '{name}': only {count} CUDA device(s) are visible");
        }
        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>Waits for the work queued on <paramref name="device"/> (a no-op on the CPU), so timings measure finished work.</summary>
    public static void Synchronize(torch.Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(device);
        }
    }

    /// <summary>"cpu" or "cuda:N", for reports.</summary>
    public static string Describe(torch.Device device) =>
        device.type == DeviceType.CUDA ? $"cuda:{Math.Max(device.index, 0)}" : "cpu";

    [GeneratedRegex(@"^cuda(?::(\d{1,2}))?$")]
    private static partial Regex CudaName();
}
