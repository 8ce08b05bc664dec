using Microsoft.ML.Tokenizers;

namespace Platform.Inference.Tokenization;

/// <summary>
/// A SentencePiece model (tokenizer.model: Llama 2, Mistral, TinyStories) through
/// Microsoft.ML.Tokenizers' <see cref="LlamaTokenizer"/>.
/// </summary>
public sealed class SentencePieceTextTokenizer : TextTokenizer
{
    private const char Space = '\u2581';
    private readonly LlamaTokenizer _inner;

    /// <summary>Wraps <paramref name="inner"/> (created without BOS/EOS) with <paramref name="settings"/>.</summary>
    public SentencePieceTextTokenizer(LlamaTokenizer inner, TokenizerSettings settings) : base(settings)
    {
        _inner = inner;
    }

    /// <inheritdoc />
    public override string Kind => "sentencepiece";

    /// <inheritdoc />
    protected override IEnumerable<int> EncodePlain(string text)
    {
        var ids = _inner.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        if (ids.Count > 0 || string.IsNullOrWhiteSpace(text))
        {
            return ids;
        }
        // Microsoft.ML.Tokenizers 2.0.1 returns [] for any text that normalizes to one character
        // ("x", " x", "é"). Normalize as SentencePiece would (dummy prefix, spaces as U+2581) and
        // encode without the library's normalizer.
        var normalized = (_inner.AddDummyPrefix ? Space.ToString() : "") + text.Trim().Replace(' ', Space);
        return _inner.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: false, considerNormalization: false);
    }

    /// <inheritdoc />
    protected override string DecodePlain(IReadOnlyList<int> ids, bool atStart) =>
        _inner.Decode(ids, considerSpecialTokens: false) ?? "";
}
