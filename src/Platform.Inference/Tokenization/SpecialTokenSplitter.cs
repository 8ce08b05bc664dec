namespace Platform.Inference.Tokenization;

/// <summary>Cuts text into plain segments and special tokens (longest special token wins at a position).</summary>
public sealed class SpecialTokenSplitter(IReadOnlyDictionary<string, int> specialTokens)
{
    private readonly string[] _tokens = specialTokens.Keys.Where(k => k.Length > 0).OrderByDescending(k => k.Length).ToArray();
    private readonly HashSet<char> _firstChars = specialTokens.Keys.Where(k => k.Length > 0).Select(k => k[0]).ToHashSet();

    /// <summary>Segments in order: (text, null) for plain text, (token, id) for a special token.</summary>
    public IEnumerable<(string Text, int? Id)> Split(string text)
    {
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = _firstChars.Contains(text[i]) ? FirstMatchAt(text, i) : null;
            if (match is null)
            {
                i++;
                continue;
            }
            if (i > start)
            {
                yield return (text[start..i], null);
            }
            yield return (match, specialTokens[match]);
            i += match.Length;
            start = i;
        }
        if (start < text.Length)
        {
            yield return (text[start..], null);
        }
    }

    private string? FirstMatchAt(string text, int index)
    {
        foreach (var token in _tokens)
        {
            if (index + token.Length <= text.Length && string.CompareOrdinal(text, index, token, 0, token.Length) == 0)
            {
                return token;
            }
        }
        return null;
    }
}
