using System.Globalization;
using Platform.Contracts;

namespace Platform.Rag;

/// <summary>
/// Metadata filters of a retrieval, validated here and passed to Ingestion, which applies them in SQL
/// to both legs: the chunk's document is one of <see cref="DocumentIds"/>, carries any of
/// <see cref="TagsAny"/> and all of <see cref="TagsAll"/>, and its date (user-supplied, else its upload
/// day in UTC) lies in [<see cref="DateFrom"/>, <see cref="DateTo"/>]. Unset parts filter nothing.
/// </summary>
/// <remarks>Tags follow <see cref="DocumentTagRule"/>, the rule Ingestion applies, so a bad tag is a 400 here rather than an upstream error.</remarks>
public sealed record RetrievalFilter(
    IReadOnlyList<Guid>? DocumentIds = null,
    IReadOnlyList<string>? TagsAny = null,
    IReadOnlyList<string>? TagsAll = null,
    DateOnly? DateFrom = null,
    DateOnly? DateTo = null)
{
    /// <summary>Most tags in one list.</summary>
    public const int MaxTags = DocumentTagRule.MaxTags;

    /// <summary>Most document ids.</summary>
    public const int MaxDocuments = 1000;

    /// <summary>
    /// Validates raw request values (an empty tag list filters nothing). Null, with the offending field
    /// (e.g. "date_from") and a message, when a value is bad: a malformed tag or date, too many tags or
    /// documents, or date_from after date_to.
    /// </summary>
    public static RetrievalFilter? Parse(IReadOnlyList<Guid>? documentIds, IReadOnlyList<string?>? tagsAny, IReadOnlyList<string?>? tagsAll,
        string? dateFrom, string? dateTo, out string? field, out string? error)
    {
        (field, error) = (null, null);
        if (documentIds is { Count: > MaxDocuments })
        {
            (field, error) = ("document_ids", $"document_ids may list at most {MaxDocuments:N0} documents.");
            return null;
        }
        if (Tags(tagsAny, "tags_any", ref field, ref error) is var any && error is not null ||
            Tags(tagsAll, "tags_all", ref field, ref error) is var all && error is not null)
        {
            return null;
        }
        if (Date(dateFrom, "date_from", ref field, ref error) is var from && error is not null ||
            Date(dateTo, "date_to", ref field, ref error) is var to && error is not null)
        {
            return null;
        }
        if (from > to)
        {
            (field, error) = ("date_from", $"date_from ({from:yyyy-MM-dd}) is after date_to ({to:yyyy-MM-dd}).");
            return null;
        }
        return new RetrievalFilter(documentIds, any, all, from, to);
    }

    private static IReadOnlyList<string>? Tags(IReadOnlyList<string?>? tags, string name, ref string? field, ref string? error)
    {
        if (tags is null)
        {
            return null;
        }
        var list = new List<string>();
        foreach (var tag in tags)
        {
            var trimmed = tag?.Trim();
            if (trimmed is null || !DocumentTagRule.IsValid(trimmed))
            {
                (field, error) = (name, $"{name}: tag '{tag}' is invalid; a tag is 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'.");
                return null;
            }
            if (!list.Contains(trimmed, StringComparer.Ordinal))
            {
                list.Add(trimmed);
            }
        }
        if (list.Count > MaxTags)
        {
            (field, error) = (name, $"{name} may list at most {MaxTags} tags.");
            return null;
        }
        return list.Count == 0 ? null : list;
    }

    private static DateOnly? Date(string? text, string name, ref string? field, ref string? error)
    {
        if (text is null)
        {
            return null;
        }
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }
        (field, error) = (name, $"{name} '{text}' is not an ISO-8601 date (yyyy-MM-dd).");
        return null;
    }
}
