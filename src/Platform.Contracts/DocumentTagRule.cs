using System.Text.RegularExpressions;

namespace Platform.Contracts;

/// <summary>
/// What a document tag may be: one rule for Ingestion (which stores and filters tags) and Rag (which
/// validates filters before it calls Ingestion, so a bad tag is a 400 naming its own field).
/// </summary>
public static partial class DocumentTagRule
{
    /// <summary>Most tags a document (or a filter list) may carry.</summary>
    public const int MaxTags = 32;

    /// <summary>Longest tag.</summary>
    public const int MaxLength = 64;

    /// <summary>What a tag may contain, in words, for error messages.</summary>
    public const string Rule = "1 to 64 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'";

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,64}$")]
    private static partial Regex TagPattern();

    /// <summary>True when <paramref name="tag"/> follows <see cref="Rule"/>.</summary>
    public static bool IsValid(string? tag) => tag is not null && TagPattern().IsMatch(tag);
}
