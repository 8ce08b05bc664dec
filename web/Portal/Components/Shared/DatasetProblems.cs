using System.Text.RegularExpressions;

namespace Platform.Portal.Components.Shared;

/// <summary>
/// Splits the fine-tuning service's refusal of a dataset ("… 2 invalid line(s): line 3: …; line 7: ….")
/// into its lead sentence and one entry per line, so the page can list the problems by line.
/// </summary>
public static partial class DatasetProblems
{
    public static (string Summary, IReadOnlyList<string> Lines) Parse(string message)
    {
        var starts = LineStart().Matches(message).Select(m => m.Index).ToList();
        if (starts.Count == 0)
        {
            return (message, []);
        }
        var lines = new List<string>();
        for (var i = 0; i < starts.Count; i++)
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : message.Length;
            var part = message[starts[i]..end];
            part = i + 1 < starts.Count ? part.TrimEnd().TrimEnd(';') : TrimLast(part);
            lines.Add(part);
        }
        return (message[..starts[0]].TrimEnd().TrimEnd(':'), lines);
    }

    // The last entry ends the sentence ("."), after "; …" when the service listed only the first problems.
    private static string TrimLast(string part)
    {
        part = part.TrimEnd().TrimEnd('.');
        return part.EndsWith("; …", StringComparison.Ordinal) ? part[..^3] : part;
    }

    [GeneratedRegex(@"line \d+: ")]
    private static partial Regex LineStart();
}
