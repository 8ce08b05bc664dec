using System.Globalization;

namespace Platform.Cli.Commands;

/// <summary>
/// What the gateway process spent during one load phase, read from its own <c>/metrics</c> (the .NET
/// runtime's <c>System.Runtime</c> meter): CPU time, bytes allocated and garbage collections with their
/// pause time. Unlike latency these do not depend on what else the machine runs, so they show whether
/// a change made the gateway's own work cheaper even on a busy machine.
/// </summary>
internal sealed class GatewayBenchProbe(HttpClient http, string gatewayUrl)
{
    public sealed record Sample(double CpuSeconds, double AllocatedBytes, double Gen0, double Gen1, double Gen2, double PauseSeconds);

    public sealed record Spent(double CpuMicrosecondsPerRequest, double AllocatedBytesPerRequest, int Gen0, int Gen1, int Gen2, double GcPauseMs, double GcPauseShare)
    {
        public static Spent Between(Sample before, Sample after, int requests, double seconds) => new(
            Math.Round((after.CpuSeconds - before.CpuSeconds) * 1e6 / Math.Max(1, requests), 1),
            Math.Round((after.AllocatedBytes - before.AllocatedBytes) / Math.Max(1, requests)),
            (int)(after.Gen0 - before.Gen0), (int)(after.Gen1 - before.Gen1), (int)(after.Gen2 - before.Gen2),
            Math.Round((after.PauseSeconds - before.PauseSeconds) * 1000, 2),
            Math.Round((after.PauseSeconds - before.PauseSeconds) / Math.Max(1e-9, seconds), 5));
    }

    public async Task<Sample> ReadAsync(CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(gatewayUrl + "/metrics", cancellationToken);
        double cpu = 0, allocated = 0, pause = 0;
        double[] collections = [0, 0, 0];
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var value = Value(line);
            if (line.StartsWith("dotnet_process_cpu_time_seconds_total", StringComparison.Ordinal))
            {
                cpu += value;
            }
            else if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal))
            {
                allocated += value;
            }
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal))
            {
                pause += value;
            }
            else if (line.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal))
            {
                var generation = line.Contains("\"gen0\"", StringComparison.Ordinal) ? 0 : line.Contains("\"gen1\"", StringComparison.Ordinal) ? 1 : 2;
                collections[generation] += value;
            }
        }
        return new Sample(cpu, allocated, collections[0], collections[1], collections[2], pause);
    }

    /// <summary>The sample's value: the number after the labels (a Prometheus line may end with a timestamp).</summary>
    private static double Value(string line)
    {
        var labelsEnd = line.LastIndexOf('}');
        var parts = line[(labelsEnd < 0 ? 0 : labelsEnd + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var number = labelsEnd < 0 ? parts[1] : parts[0];
        return double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
