using System.Globalization;

namespace Platform.Services.Gateway.Observability;

/// <summary>
/// Parses the Prometheus text exposition format (0.0.4, what OpenTelemetry's exporter serves) into
/// metric families, keeping label values and help texts escaped exactly as written. Strict where a
/// wrong guess would corrupt the merged output (names, label syntax, values); a <see cref="FormatException"/>
/// names the line. Comments other than HELP and TYPE (and OpenMetrics' <c># EOF</c>/<c># UNIT</c>) are skipped.
/// </summary>
public static class ExpositionParser
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static IReadOnlyList<MetricFamily> Parse(string text)
    {
        var families = new List<MetricFamily>();
        var byName = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        MetricFamily? current = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            try
            {
                if (line[0] == '#')
                {
                    current = ParseComment(line, families, byName) ?? current;
                    continue;
                }
                var sample = ParseSample(line);
                if (current is null || !current.Owns(sample.Name))
                {
                    current = FamilyOf(sample.Name, families, byName);
                }
                current.Samples.Add(sample);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {lineNumber}: {e.Message}", e);
            }
        }
        return families;
    }

    private static MetricFamily? ParseComment(string line, List<MetricFamily> families, Dictionary<string, MetricFamily> byName)
    {
        var parts = line[1..].TrimStart().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] is not ("HELP" or "TYPE"))
        {
            return null; // an ordinary comment
        }
        var name = parts[1];
        if (!IsMetricName(name))
        {
            throw new FormatException($"invalid metric name '{name}' in {parts[0]}");
        }
        var family = FamilyOf(name, families, byName);
        if (parts[0] == "HELP")
        {
            family.Help ??= parts.Length > 2 ? parts[2] : "";
            return family;
        }
        var type = parts.Length > 2 ? parts[2].Trim() : "";
        if (!Types.Contains(type))
        {
            throw new FormatException($"unknown metric type '{type}' for {name}");
        }
        if (family.TypeDeclared && family.Type != type)
        {
            throw new FormatException($"second TYPE for {name}");
        }
        family.Type = type;
        family.TypeDeclared = true;
        return family;
    }

    private static MetricFamily FamilyOf(string name, List<MetricFamily> families, Dictionary<string, MetricFamily> byName)
    {
        if (!byName.TryGetValue(name, out var family))
        {
            family = new MetricFamily(name);
            byName[name] = family;
            families.Add(family);
        }
        return family;
    }

    private static ExpositionSample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0, colonAllowed: true))
        {
            i++;
        }
        if (i == 0)
        {
            throw new FormatException("a sample line must start with a metric name");
        }
        var name = line[..i];
        var labels = new List<KeyValuePair<string, string>>();
        if (i < line.Length && line[i] == '{')
        {
            i = ParseLabels(line, i + 1, labels);
        }
        if (i >= line.Length || !char.IsWhiteSpace(line[i]))
        {
            throw new FormatException($"expected a space and a value after {name}");
        }
        var fields = line[i..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 2 || !IsValue(fields[0]) || (fields.Length == 2 && !long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"invalid value '{line[i..].Trim()}' for {name}");
        }
        return new ExpositionSample(name, labels, string.Join(' ', fields));
    }

    /// <summary>Reads <c>name="value",…}</c> from <paramref name="i"/>; returns the index after the closing brace.</summary>
    private static int ParseLabels(string line, int i, List<KeyValuePair<string, string>> labels)
    {
        while (true)
        {
            i = SkipSpaces(line, i);
            if (i < line.Length && line[i] == '}')
            {
                return i + 1;
            }
            var start = i;
            while (i < line.Length && IsNameChar(line[i], i == start, colonAllowed: false))
            {
                i++;
            }
            if (i == start)
            {
                throw new FormatException("invalid label name");
            }
            var labelName = line[start..i];
            i = SkipSpaces(line, i);
            if (i >= line.Length || line[i] != '=')
            {
                throw new FormatException($"expected '=' after label {labelName}");
            }
            i = SkipSpaces(line, i + 1);
            if (i >= line.Length || line[i] != '"')
            {
                throw new FormatException($"expected a quoted value for label {labelName}");
            }
            var valueStart = ++i;
            while (i < line.Length && line[i] != '"')
            {
                i += line[i] == '\\' ? 2 : 1;
            }
            if (i >= line.Length)
            {
                throw new FormatException($"unterminated value of label {labelName}");
            }
            if (labels.Exists(l => l.Key == labelName))
            {
                throw new FormatException($"label {labelName} appears twice");
            }
            labels.Add(new(labelName, line[valueStart..i]));
            i = SkipSpaces(line, i + 1);
            if (i < line.Length && line[i] == ',')
            {
                i++;
            }
            else if (i >= line.Length || line[i] != '}')
            {
                throw new FormatException("expected ',' or '}' after a label");
            }
        }
    }

    private static int SkipSpaces(string line, int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
        return i;
    }

    private static bool IsValue(string text) =>
        text is "+Inf" or "-Inf" or "Inf" or "NaN"
        || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names the same without ':'.</summary>
    public static bool IsMetricName(string name) =>
        name.Length > 0 && name.Select((c, i) => IsNameChar(c, i == 0, colonAllowed: true)).All(ok => ok);

    private static bool IsNameChar(char c, bool first, bool colonAllowed) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (colonAllowed && c == ':') || (!first && c is >= '0' and <= '9');
}
