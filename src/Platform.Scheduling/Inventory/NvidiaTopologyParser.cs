using System.Text.RegularExpressions;

namespace Platform.Scheduling.Inventory;

/// <summary>
/// Reads NVLink groups from the matrix <c>nvidia-smi topo -m</c> prints: a header row of <c>GPU0 … GPUn</c>
/// (then NIC and affinity columns), one row per GPU whose cells say how each pair is connected
/// (<c>X</c> self, <c>NV#</c> a bonded set of # NVLinks, <c>PIX</c>/<c>PXB</c>/<c>PHB</c>/<c>NODE</c>/<c>SYS</c> PCIe paths).
/// GPUs joined by NVLink, directly or through others (an NVSwitch joins all of them), form one group.
/// </summary>
public static partial class NvidiaTopologyParser
{
    /// <summary>
    /// The NVLink groups by GPU index, each sorted, in order of their lowest index; GPUs with no NVLink are left out
    /// (each is its own group). Throws <see cref="SchedulingInputException"/> naming the line when the matrix is malformed.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<int>> Parse(string output)
    {
        // nvidia-smi underlines the header with terminal escapes even when its output is a file.
        var lines = AnsiEscape().Replace(output, "").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var header = Array.FindIndex(lines, l => Tokens(l) is ["GPU0", ..]);
        if (header < 0)
        {
            throw new SchedulingInputException("nvidia-smi topo -m output has no header row starting with GPU0");
        }
        var gpuCount = Tokens(lines[header]).TakeWhile(t => GpuName().IsMatch(t)).Count();
        var parent = Enumerable.Range(0, gpuCount).ToArray();
        var rows = 0;
        for (var i = header + 1; i < lines.Length && rows < gpuCount; i++)
        {
            var cells = Tokens(lines[i]);
            if (cells.Length == 0 || !GpuName().IsMatch(cells[0]))
            {
                continue;
            }
            var row = Index(cells[0]);
            if (row != rows || cells.Length < gpuCount + 1)
            {
                throw new SchedulingInputException($"nvidia-smi topo -m line {i + 1}: expected the row of GPU{rows} with {gpuCount} GPU cells, got '{lines[i].Trim()}'");
            }
            for (var column = 0; column < gpuCount; column++)
            {
                var cell = cells[column + 1];
                if (column == row ? cell != "X" : !KnownLink().IsMatch(cell))
                {
                    throw new SchedulingInputException($"nvidia-smi topo -m line {i + 1}: GPU{row} to GPU{column} is '{cell}', not a known connection");
                }
                if (cell.StartsWith("NV", StringComparison.Ordinal))
                {
                    parent[Root(parent, row)] = Root(parent, column);
                }
            }
            rows++;
        }
        if (rows != gpuCount)
        {
            throw new SchedulingInputException($"nvidia-smi topo -m output has {rows} GPU rows for {gpuCount} GPU columns");
        }
        return Enumerable.Range(0, gpuCount).GroupBy(g => Root(parent, g))
            .Where(g => g.Count() > 1)
            .Select(g => (IReadOnlyList<int>)g.Order().ToList())
            .OrderBy(g => g[0])
            .ToList();
    }

    private static string[] Tokens(string line) => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static int Index(string gpu) => int.Parse(gpu.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture);

    private static int Root(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            i = parent[i] = parent[parent[i]];
        }
        return i;
    }

    [GeneratedRegex("^GPU[0-9]+$")]
    private static partial Regex GpuName();

    [GeneratedRegex("^(X|NV[0-9]+|PIX|PXB|PHB|NODE|SYS|SOC|N/A)$")]
    private static partial Regex KnownLink();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
