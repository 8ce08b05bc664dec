using System.Globalization;
using Platform.Contracts;

namespace Platform.Ingestion.Storage;

/// <summary>The rules for document tags and metadata dates, shared by upload, PATCH and search filters.</summary>
public static class DocumentTags
{
    /// <summary>Most tags a document (or a filter) may carry.</summary>
    public const int MaxTags = DocumentTagRule.MaxTags;

    /// <summary>Longest tag.</summary>
    public const int MaxLength = DocumentTagRule.MaxLength;

    /// <summary>What a tag may contain, in words, for error messages.</summary>
    public const string Rule = DocumentTagRule.Rule;

    /// <summary>True when <paramref name="tag"/> follows <see cref="Rule"/>.</summary>
    public static bool IsValid(string? tag) => DocumentTagRule.IsValid(tag);

    /// <summary>
    /// Validates a tag list (duplicates dropped, order kept). Null with an error message when a tag
    /// breaks the rule or there are more than <see cref="MaxTags"/>.
    /// </summary>
    public static IReadOnlyList<string>? Normalize(IEnumerable<string?> tags, out string? error)
    {
        var list = new List<string>();
        foreach (var tag in tags)
        {
            var trimmed = tag?.Trim();
            if (!IsValid(trimmed))
            {
                error = $"Tag '{Shorten(tag)}' is invalid: a tag is {Rule}.";
                return null;
            }
            if (!list.Contains(trimmed!, StringComparer.Ordinal))
            {
                list.Add(trimmed!);
            }
        }
        if (list.Count > MaxTags)
        {
            error = $"At most {MaxTags} tags are allowed; got {list.Count}.";
            return null;
        }
        error = null;
        return list;
    }

    /// <summary>Splits form values that may each hold several comma-separated tags; blank pieces are ignored.</summary>
    public static IEnumerable<string> SplitCommaSeparated(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Parses an ISO-8601 calendar date (yyyy-MM-dd).</summary>
    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    private static string Shorten(string? tag) => tag is null ? "null" : tag.Length > 80 ? tag[..80] + "…" : tag;
}
