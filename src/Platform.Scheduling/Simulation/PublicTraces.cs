using System.Globalization;
using System.Text.Json;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

/// <summary>
/// Readers for the public traces in <c>shared/testdata/traces</c> (see docs/scheduling.md for which
/// drives which workload class). Every reader names the line of a malformed row.
/// </summary>
public static class PublicTraces
{
    /// <summary>
    /// Azure LLM inference trace 2023 (<c>TIMESTAMP,ContextTokens,GeneratedTokens</c>): times become
    /// seconds from the first row. <paramref name="scale"/> replays each request scale times on average
    /// (the trace is a sample of production traffic), the copies jittered by up to one second so bursts
    /// keep their shape.
    /// </summary>
    public static List<TraceRequest> ReadAzureLlm(TextReader reader, string tenant, double scale, Random random)
    {
        var header = reader.ReadLine();
        if (header?.Trim() != "TIMESTAMP,ContextTokens,GeneratedTokens")
        {
            throw new TraceFormatException(1, $"expected the Azure header TIMESTAMP,ContextTokens,GeneratedTokens, got '{header}'");
        }
        var requests = new List<TraceRequest>();
        DateTime? origin = null;
        var line = 1;
        while (reader.ReadLine() is { } raw)
        {
            line++;
            if (raw.Trim().Length == 0)
            {
                continue;
            }
            var cells = raw.Split(',');
            if (cells.Length != 3
                || !DateTime.TryParseExact(cells[0].Trim(), "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                || !int.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out var context)
                || !int.TryParse(cells[2], NumberStyles.None, CultureInfo.InvariantCulture, out var generated))
            {
                throw new TraceFormatException(line, $"expected TIMESTAMP,ContextTokens,GeneratedTokens, got '{raw}'");
            }
            origin ??= at;
            var t = (at - origin.Value).TotalSeconds;
            if (t < 0)
            {
                throw new TraceFormatException(line, "timestamps go backwards");
            }
            AddCopies(requests, t, tenant, context, generated, scale, random);
        }
        return requests;
    }

    /// <summary>Mooncake FAST'25 conversation trace (JSON lines with timestamp in ms, input_length, output_length).</summary>
    public static List<TraceRequest> ReadMooncake(TextReader reader, string tenant, double scale, Random random)
    {
        var requests = new List<TraceRequest>();
        var line = 0;
        while (reader.ReadLine() is { } raw)
        {
            line++;
            if (raw.Trim().Length == 0)
            {
                continue;
            }
            try
            {
                using var doc = JsonDocument.Parse(raw);
                var root = doc.RootElement;
                var t = root.GetProperty("timestamp").GetDouble() / 1000.0;
                var input = root.GetProperty("input_length").GetInt32();
                var output = root.GetProperty("output_length").GetInt32();
                if (t < 0 || input < 0 || output < 0)
                {
                    throw new TraceFormatException(line, "negative timestamp or length");
                }
                AddCopies(requests, t, tenant, input, output, scale, random);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new TraceFormatException(line, $"expected a JSON object with timestamp, input_length, output_length ({e.Message})");
            }
        }
        return requests.OrderBy(r => r.TimeSeconds).ToList();
    }

    /// <summary>
    /// Alibaba GPU cluster trace v2023 (openb pod list) as fine-tunes: pods with GPUs that were
    /// scheduled and deleted, created at or after <paramref name="fromSeconds"/>, arrivals compressed by
    /// <paramref name="compression"/>, run time (deletion − scheduled) capped at
    /// <paramref name="maxDurationSeconds"/>. A fractional GPU (gpu_milli &lt; 1000) becomes that share of a
    /// <paramref name="referenceGpuGib"/> device; multi-GPU pods become full fine-tune gangs.
    /// </summary>
    public static List<TraceFineTune> ReadOpenbPods(
        TextReader reader, string tenant, double fromSeconds, double compression, double untilSimSeconds,
        double maxDurationSeconds, double referenceGpuGib, double checkpointSeconds)
    {
        var header = reader.ReadLine()?.Split(',').Select(h => h.Trim()).ToList() ?? [];
        string[] needed = ["num_gpu", "gpu_milli", "creation_time", "deletion_time", "scheduled_time"];
        if (needed.FirstOrDefault(n => !header.Contains(n)) is { } missing)
        {
            throw new TraceFormatException(1, $"openb pod list header lacks '{missing}'");
        }
        int Col(string name) => header.IndexOf(name);
        var jobs = new List<TraceFineTune>();
        var line = 1;
        while (reader.ReadLine() is { } raw)
        {
            line++;
            if (raw.Trim().Length == 0)
            {
                continue;
            }
            var cells = raw.Split(',');
            if (cells.Length != header.Count)
            {
                throw new TraceFormatException(line, $"expected {header.Count} fields, got {cells.Length}");
            }
            int Int(string name) => int.TryParse(cells[Col(name)], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new TraceFormatException(line, $"{name} '{cells[Col(name)]}' is not a non-negative integer");
            var gpus = Int("num_gpu");
            if (gpus == 0 || cells[Col("scheduled_time")].Length == 0 || cells[Col("deletion_time")].Length == 0)
            {
                continue; // CPU-only pods and pods that never ran have no GPU work to replay
            }
            var created = Int("creation_time");
            if (created < fromSeconds)
            {
                continue;
            }
            var arrival = Math.Round((created - fromSeconds) / compression, 3);
            if (arrival >= untilSimSeconds)
            {
                continue;
            }
            var milli = Int("gpu_milli");
            if (milli is 0 or > 1000)
            {
                throw new TraceFormatException(line, $"gpu_milli {milli} is outside 1..1000");
            }
            var duration = Math.Clamp(Int("deletion_time") - Int("scheduled_time"), 60, maxDurationSeconds);
            jobs.Add(new TraceFineTune(arrival, tenant, gpus > 1 ? WorkloadKind.FullFineTune : WorkloadKind.LoraFineTune,
                gpus, Math.Round(referenceGpuGib * milli / 1000.0, 2), duration, checkpointSeconds));
        }
        return jobs.OrderBy(j => j.TimeSeconds).ToList();
    }

    private static void AddCopies(List<TraceRequest> into, double t, string tenant, int context, int generated, double scale, Random random)
    {
        var copies = (int)Math.Floor(scale) + (random.NextDouble() < scale - Math.Floor(scale) ? 1 : 0);
        for (var c = 0; c < copies; c++)
        {
            into.Add(new TraceRequest(Math.Round(c == 0 ? t : t + random.NextDouble(), 3), tenant, context, generated));
        }
    }
}
