using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Rag;

/// <summary>A source the answer cites: the 1-based marker and the chunk it refers to.</summary>
public sealed record Citation(int Marker, RetrievedChunk Chunk, string Quote);

/// <summary>Finds the [n] markers in an answer and maps them to the numbered sources of the prompt.</summary>
public static partial class Citations
{
    /// <summary>Longest quote kept per citation (characters of the chunk text, cut at a word).</summary>
    public const int MaxQuoteChars = 400;

    [GeneratedRegex(@"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")]
    private static partial Regex MarkerPattern();

    /// <summary>
    /// One citation per distinct marker, in order of first appearance; "[1, 3]" cites 1 and 3.
    /// Markers outside 1..sources.Count (a model inventing sources) are ignored.
    /// </summary>
    public static IReadOnlyList<Citation> Extract(string answer, IReadOnlyList<RetrievedChunk> sources)
    {
        var result = new List<Citation>();
        var seen = new HashSet<int>();
        foreach (Match match in MarkerPattern().Matches(answer))
        {
            foreach (var part in match.Groups[1].Value.Split(','))
            {
                if (int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) &&
                    n >= 1 && n <= sources.Count && seen.Add(n))
                {
                    result.Add(new Citation(n, sources[n - 1], Quote(sources[n - 1].Content)));
                }
            }
        }
        return result;
    }

    /// <summary>The chunk text, cut at a word boundary after at most <see cref="MaxQuoteChars"/> characters.</summary>
    public static string Quote(string content)
    {
        if (content.Length <= MaxQuoteChars)
        {
            return content;
        }
        var cut = content.LastIndexOf(' ', MaxQuoteChars);
        return content[..(cut > MaxQuoteChars / 2 ? cut : MaxQuoteChars)] + "…";
    }
}
