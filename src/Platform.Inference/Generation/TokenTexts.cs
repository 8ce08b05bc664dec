using System.Runtime.CompilerServices;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Generation;

/// <summary>The text each token of a tokenizer adds after other text, computed once per tokenizer.</summary>
public static class TokenTexts
{
    private static readonly ConditionalWeakTable<ITextTokenizer, string?[]> Cache = [];

    /// <summary>
    /// Decoded behind a context token and that token's own text cut off, so a SentencePiece word-start keeps its
    /// space. Special tokens add nothing and are never allowed.
    /// </summary>
    public static string?[] Of(ITextTokenizer tokenizer, int vocabSize) =>
        Cache.GetValue(tokenizer, t => Compute(t, vocabSize));

    private static string?[] Compute(ITextTokenizer tokenizer, int vocabSize)
    {
        var context = tokenizer.Encode("a", addSpecialTokens: false);
        var before = tokenizer.Decode(context);
        var texts = new string?[vocabSize];
        for (var id = 0; id < vocabSize; id++)
        {
            var text = tokenizer.Decode([.. context, id]);
            texts[id] = text.StartsWith(before, StringComparison.Ordinal) && text.Length > before.Length ? text[before.Length..] : null;
        }
        return texts;
    }
}
