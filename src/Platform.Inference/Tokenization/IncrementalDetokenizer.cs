namespace Platform.Inference.Tokenization;

/// <summary>
/// Turns a growing list of generated ids into text deltas without ever emitting half of a
/// multi-byte character: text is released only once the decoded window no longer ends in U+FFFD.
/// A few prompt tokens are decoded as left context so that leading-space rules (SentencePiece's
/// "▁") come out as they would in the full text (the vLLM approach).
/// </summary>
public sealed class IncrementalDetokenizer
{
    private const int ContextTokens = 5;
    private readonly ITextTokenizer _tokenizer;
    private readonly List<int> _ids;
    private int _prefixOffset;
    private int _readOffset;

    /// <summary>Starts after <paramref name="promptIds"/>.</summary>
    public IncrementalDetokenizer(ITextTokenizer tokenizer, IReadOnlyList<int> promptIds)
    {
        _tokenizer = tokenizer;
        _ids = [.. promptIds];
        _readOffset = _ids.Count;
        _prefixOffset = Math.Max(0, _ids.Count - ContextTokens);
    }

    /// <summary>Adds <paramref name="id"/> and returns the newly complete text (possibly empty).</summary>
    public string Add(int id)
    {
        _ids.Add(id);
        var window = _ids.GetRange(_prefixOffset, _ids.Count - _prefixOffset);
        var prefix = _tokenizer.Decode(window.GetRange(0, _readOffset - _prefixOffset));
        var full = _tokenizer.Decode(window);
        if (full.Length > prefix.Length && !full.EndsWith('\uFFFD'))
        {
            _prefixOffset = _readOffset;
            _readOffset = _ids.Count;
            return full[prefix.Length..];
        }
        return "";
    }

    /// <summary>Text still held back (an incomplete character at the end), decoded as is.</summary>
    public string Flush()
    {
        if (_readOffset == _ids.Count)
        {
            return "";
        }
        var window = _ids.GetRange(_prefixOffset, _ids.Count - _prefixOffset);
        var prefix = _tokenizer.Decode(window.GetRange(0, _readOffset - _prefixOffset));
        var full = _tokenizer.Decode(window);
        _prefixOffset = _readOffset = _ids.Count;
        return full.Length > prefix.Length ? full[prefix.Length..] : "";
    }
}
