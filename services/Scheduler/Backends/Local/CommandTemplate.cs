using System.Text.RegularExpressions;

namespace Platform.Services.Scheduler.Backends.Local;

/// <summary>Expands <c>{name}</c> placeholders in a command's arguments and environment.</summary>
public static partial class CommandTemplate
{
    /// <summary>The placeholders a command may use.</summary>
    public static IReadOnlyList<string> Placeholders { get; } =
        [
            "workload_id", "tenant_id", "priority", "kind", "port", "cuda_visible_devices", "device_ids", "memory_per_device_bytes", "device_count",
            "model", "model_dir", "kv_cache_bytes",
        ];

    /// <summary>Replaces every placeholder; throws <see cref="FormatException"/> naming an unknown one.</summary>
    public static string Expand(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v)
            ? v
            : throw new FormatException($"unknown placeholder {{{m.Groups[1].Value}}} in '{template}'; known: {string.Join(", ", Placeholders)}"));

    /// <summary>Every problem with a configured command (unknown placeholders, no executable).</summary>
    public static IEnumerable<string> Problems(string kind, LocalCommand command)
    {
        if (string.IsNullOrWhiteSpace(command.FileName))
        {
            yield return $"Scheduler:Local:Commands:{kind} has no FileName";
        }
        var sample = Placeholders.ToDictionary(p => p, _ => "x", StringComparer.Ordinal);
        foreach (var text in command.Arguments.Concat(command.Environment.Values).Append(command.FileName))
        {
            string? problem = null;
            try
            {
                Expand(text, sample);
            }
            catch (FormatException e)
            {
                problem = $"Scheduler:Local:Commands:{kind}: {e.Message}";
            }
            if (problem is not null)
            {
                yield return problem;
            }
        }
    }

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();
}
