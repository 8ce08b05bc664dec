using System.Globalization;

namespace Platform.Portal.Components.Shared;

/// <summary>
/// The launch form's "Trainable tokens" field: token ids separated by commas (PEFT's
/// <c>trainable_token_indices</c>). Checked on the page for what needs no model; the service checks
/// the ids against the base model's vocabulary.
/// </summary>
public static class TokenIdList
{
    /// <summary>The most ids a job may list (the fine-tuning service's limit).</summary>
    public const int MaxCount = 64;

    /// <summary>The ids in order (empty for an empty field), or the message to show under the field.</summary>
    public static (IReadOnlyList<int>? Ids, string? Error) Parse(string? text)
    {
        var ids = new List<int>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return (ids, null);
        }
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                return (null, "An empty entry: separate token ids with single commas.");
            }
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return (null, $"'{part}' is not a token id (a whole number from 0).");
            }
            if (ids.Contains(id))
            {
                return (null, $"{id} is listed twice.");
            }
            ids.Add(id);
        }
        return ids.Count > MaxCount ? (null, $"At most {MaxCount} token ids, not {ids.Count}.") : (ids, null);
    }
}
