using System.Globalization;
using System.Text;

namespace Platform.Services.Scheduler.Serving;

/// <summary>One sample of the Prometheus text exposition format: a metric name, its labels and a value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>The value of <paramref name="label"/>, or null.</summary>
    public string? Label(string label) => Labels.GetValueOrDefault(label);
}

/// <summary>
/// A parser of the Prometheus text exposition format 0.0.4 (and the OpenMetrics text that OpenTelemetry's
/// exporter may send): comments and <c># EOF</c> are skipped, label values are unescaped, timestamps and
/// exemplars are ignored. A malformed line throws <see cref="FormatException"/> with its line number.
/// </summary>
public static class PrometheusText
{
    /// <summary>Every sample in <paramref name="text"/>.</summary>
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            try
            {
                samples.Add(ParseLine(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {lineNumber}: {e.Message}", e);
            }
        }
        return samples;
    }

    private static PrometheusSample ParseLine(string line)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0))
        {
            i++;
        }
        if (i == 0)
        {
            throw new FormatException($"expected a metric name at '{Excerpt(line)}'");
        }
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i = ParseLabels(line, i + 1, labels);
        }
        var rest = line[i..].Trim();
        var exemplar = rest.IndexOf(" #", StringComparison.Ordinal);
        if (exemplar >= 0)
        {
            rest = rest[..exemplar];
        }
        var fields = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 2)
        {
            throw new FormatException($"expected a value (and an optional timestamp) after '{name}', got '{Excerpt(rest)}'");
        }
        return new PrometheusSample(name, labels, ParseValue(fields[0]));
    }

    private static int ParseLabels(string line, int i, Dictionary<string, string> labels)
    {
        while (true)
        {
            i = SkipSpaces(line, i);
            if (i < line.Length && line[i] == '}')
            {
                return i + 1;
            }
            var start = i;
            while (i < line.Length && IsNameChar(line[i], i == start))
            {
                i++;
            }
            if (i == start || i >= line.Length || line[i] != '=' || i + 1 >= line.Length || line[i + 1] != '"')
            {
                throw new FormatException($"expected label=\"value\" at '{Excerpt(line[start..])}'");
            }
            var label = line[start..i];
            i += 2;
            var value = new StringBuilder();
            while (true)
            {
                if (i >= line.Length)
                {
                    throw new FormatException($"unterminated value of label '{label}'");
                }
                var c = line[i++];
                if (c == '"')
                {
                    break;
                }
                if (c == '\\' && i < line.Length)
                {
                    var escaped = line[i++];
                    value.Append(escaped == 'n' ? '\n' : escaped);
                    continue;
                }
                value.Append(c);
            }
            labels[label] = value.ToString();
            i = SkipSpaces(line, i);
            if (i < line.Length && line[i] == ',')
            {
                i++;
            }
            else if (i >= line.Length || line[i] != '}')
            {
                throw new FormatException($"expected ',' or '}}' after label '{label}'");
            }
        }
    }

    private static double ParseValue(string field) => field switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"'{Excerpt(field)}' is not a number"),
    };

    private static int SkipSpaces(string line, int i)
    {
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }
        return i;
    }

    private static bool IsNameChar(char c, bool first) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or ':' || (!first && c is >= '0' and <= '9');

    private static string Excerpt(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
