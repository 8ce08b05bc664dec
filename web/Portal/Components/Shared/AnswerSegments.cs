using System.Text.RegularExpressions;

namespace Platform.Portal.Components.Shared;

/// <summary>A piece of an answer: plain text, or a citation marker such as [2] or [1, 3].</summary>
public sealed record AnswerSegment(string Text, IReadOnlyList<int> Markers)
{
    public bool IsMarker => Markers.Count > 0;
}

/// <summary>
/// Splits an answer into text and [n] markers, the way the RAG service finds citations ([n] or
/// [n, m]); only numbers of sources the model was given become markers, the rest stays text.
/// </summary>
public static partial class AnswerSegments
{
    public static IReadOnlyList<AnswerSegment> Split(string text, IReadOnlySet<int> sourceNumbers)
    {
        var segments = new List<AnswerSegment>();
        var at = 0;
        foreach (Match m in Marker().Matches(text))
        {
            var numbers = m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries)
                .Select(n => int.TryParse(n, out var i) ? i : -1).ToList();
            if (numbers.Any(n => !sourceNumbers.Contains(n)))
            {
                continue;
            }
            if (m.Index > at)
            {
                segments.Add(new AnswerSegment(text[at..m.Index], []));
            }
            segments.Add(new AnswerSegment(m.Value, numbers));
            at = m.Index + m.Length;
        }
        if (at < text.Length)
        {
            segments.Add(new AnswerSegment(text[at..], []));
        }
        return segments;
    }

    [GeneratedRegex(@"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")]
    private static partial Regex Marker();
}
