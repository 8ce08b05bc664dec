using System.Globalization;
using System.Text;

namespace Platform.Services.Gateway.Observability;

/// <summary>
/// Merges several services' expositions into one Prometheus text exposition: every sample gets the
/// service's target labels (a label the service already uses under that name is kept as
/// <c>exported_&lt;name&gt;</c>, as Prometheus does with honor_labels off), each family's HELP and TYPE
/// appear once with all its samples together, and <c>platform_scrape_up</c> /
/// <c>platform_scrape_duration_seconds</c> report every target. A family that another service
/// already declared with a different type is left out for the later service (two types for one name
/// would make the whole exposition unreadable) and reported through <paramref name="onConflict"/>.
/// </summary>
public static class ExpositionMerger
{
    public const string UpMetric = "platform_scrape_up";
    public const string DurationMetric = "platform_scrape_duration_seconds";
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Merge(IReadOnlyList<ScrapeResult> results, Action<ScrapeResult, MetricFamily, string>? onConflict = null)
    {
        var merged = new List<Merged>();
        var byName = new Dictionary<string, Merged>(StringComparer.Ordinal);
        foreach (var result in results.Where(r => r.Up))
        {
            foreach (var family in result.Families!)
            {
                if (family.Name is UpMetric or DurationMetric)
                {
                    onConflict?.Invoke(result, family, "reserved for the gateway's scrape report");
                    continue;
                }
                if (!byName.TryGetValue(family.Name, out var target))
                {
                    target = new Merged(family.Name, family.Type);
                    byName[family.Name] = target;
                    merged.Add(target);
                }
                else if (target.Type != family.Type)
                {
                    onConflict?.Invoke(result, family, $"declared {target.Type} by an earlier service, {family.Type} here");
                    continue;
                }
                target.Help ??= family.Help;
                target.Samples.AddRange(family.Samples.Select(s => (result, s)));
            }
        }

        var text = new StringBuilder();
        foreach (var family in merged)
        {
            if (family.Help is not null)
            {
                text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n');
            }
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            foreach (var (from, sample) in family.Samples)
            {
                AppendSample(text, sample.Name, from.TargetLabels, sample.Labels, sample.Value);
            }
        }
        AppendReport(text, results, UpMetric, "1 when the gateway read the service's /metrics in this scrape, 0 when it could not.",
            r => r.Up ? "1" : "0");
        AppendReport(text, results, DurationMetric, "How long reading the service's /metrics took in this scrape.",
            r => r.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static void AppendReport(StringBuilder text, IReadOnlyList<ScrapeResult> results, string name, string help, Func<ScrapeResult, string> value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(" gauge\n");
        foreach (var result in results)
        {
            AppendSample(text, name, result.TargetLabels, [], value(result));
        }
    }

    private static void AppendSample(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> target,
        IReadOnlyList<KeyValuePair<string, string>> own, string value)
    {
        text.Append(name).Append('{');
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (label, raw) in target)
        {
            text.Append(label).Append("=\"").Append(Escape(raw)).Append("\",");
            taken.Add(label);
        }
        foreach (var (label, _) in own)
        {
            taken.Add(label);
        }
        foreach (var (label, escaped) in own)
        {
            var written = label;
            if (target.Any(t => t.Key == label))
            {
                written = "exported_" + label;
                while (!taken.Add(written))
                {
                    written = "exported_" + written;
                }
            }
            text.Append(written).Append("=\"").Append(escaped).Append("\",");
        }
        text.Length--; // the last ','
        text.Append("} ").Append(value).Append('\n');
    }

    private sealed class Merged(string name, string type)
    {
        public string Name { get; } = name;

        public string Type { get; } = type;

        public string? Help { get; set; }

        public List<(ScrapeResult From, ExpositionSample Sample)> Samples { get; } = [];
    }

    /// <summary>Escapes a label value for the text format: backslash, double quote and line feed.</summary>
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
