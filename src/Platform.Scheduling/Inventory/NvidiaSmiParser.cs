using System.Globalization;

namespace Platform.Scheduling.Inventory;

/// <summary>
/// Parses the CSV that <c>nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,mig.mode.current --format=csv</c>
/// prints, with or without header and units. Fields may come in any order; unknown fields are ignored.
/// </summary>
public static class NvidiaSmiParser
{
    /// <summary>The query a GPU worker should run.</summary>
    public const string QueryFields = "index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,mig.mode.current";

    /// <summary>
    /// Parses <paramref name="csv"/>. With <c>noheader</c> output pass the queried field names in
    /// <paramref name="fieldsWhenNoHeader"/>. Throws <see cref="SchedulingInputException"/> naming the line on bad input.
    /// </summary>
    public static IReadOnlyList<GpuReport> Parse(string csv, IReadOnlyList<string>? fieldsWhenNoHeader = null)
    {
        var lines = csv.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var fields = fieldsWhenNoHeader?.Select(f => f.Trim().ToLowerInvariant()).ToList();
        var reports = new List<GpuReport>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var cells = line.Split(',').Select(c => c.Trim()).ToList();
            if (fields is null)
            {
                // Header cells look like "memory.total [MiB]"; the unit in brackets is dropped.
                fields = cells.Select(c => c.Split(' ')[0].ToLowerInvariant()).ToList();
                if (!fields.Contains("memory.total") || !fields.Contains("index"))
                {
                    throw new SchedulingInputException($"nvidia-smi output line {i + 1}: header must include index and memory.total, got '{line}'");
                }
                continue;
            }
            if (cells.Count != fields.Count)
            {
                throw new SchedulingInputException($"nvidia-smi output line {i + 1}: expected {fields.Count} fields, got {cells.Count}");
            }
            reports.Add(ParseRow(fields, cells, i + 1));
        }
        return reports;
    }

    private static GpuReport ParseRow(List<string> fields, List<string> cells, int lineNumber)
    {
        string? Cell(string name)
        {
            var at = fields.IndexOf(name);
            return at < 0 || IsNotAvailable(cells[at]) ? null : cells[at];
        }
        var index = Cell("index") is { } ix && int.TryParse(ix, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new SchedulingInputException($"nvidia-smi output line {lineNumber}: index '{Cell("index")}' is not a number");
        var total = Mebibytes(Cell("memory.total"), "memory.total", lineNumber)
            ?? throw new SchedulingInputException($"nvidia-smi output line {lineNumber}: memory.total is missing");
        return new GpuReport(index, Cell("name") ?? "unknown", total)
        {
            Uuid = Cell("uuid"),
            MemoryUsedBytes = Mebibytes(Cell("memory.used"), "memory.used", lineNumber),
            MemoryFreeBytes = Mebibytes(Cell("memory.free"), "memory.free", lineNumber),
            UtilizationPercent = Number(Cell("utilization.gpu"), "%", "utilization.gpu", lineNumber),
            MigEnabled = Cell("mig.mode.current") is { } mig ? string.Equals(mig, "Enabled", StringComparison.OrdinalIgnoreCase) : null,
        };
    }

    private static bool IsNotAvailable(string cell) =>
        cell.Length == 0 || cell.StartsWith('[') || cell.Equals("N/A", StringComparison.OrdinalIgnoreCase);

    private static long? Mebibytes(string? cell, string field, int lineNumber) =>
        Number(cell, "MiB", field, lineNumber) is { } mib ? (long)(mib * (1L << 20)) : null;

    private static double? Number(string? cell, string unit, string field, int lineNumber)
    {
        if (cell is null)
        {
            return null;
        }
        var text = cell.EndsWith(unit, StringComparison.Ordinal) ? cell[..^unit.Length].Trim() : cell;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SchedulingInputException($"nvidia-smi output line {lineNumber}: {field} '{cell}' is not a number");
    }
}
