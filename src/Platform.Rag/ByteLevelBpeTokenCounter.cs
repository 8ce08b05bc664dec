using System.Text;
using Microsoft.ML.Tokenizers;

namespace Platform.Rag;

/// <summary>A model's byte-level BPE tokenizer (from its tokenizer.json, <see cref="TokenizerJson"/>) counting prompt tokens.</summary>
/// <param name="tokenizer">The BPE model with the file's split regex and added tokens.</param>
/// <param name="nfc">Whether the file's normalizer applies NFC first.</param>
/// <param name="addPrefixSpace">Whether the ByteLevel step puts a space before the text.</param>
public sealed class ByteLevelBpeTokenCounter(BpeTokenizer tokenizer, bool nfc, bool addPrefixSpace) : ITokenCounter
{
    /// <inheritdoc />
    public string Kind => "tokenizer";

    /// <summary>The underlying tokenizer, for tests and diagnostics.</summary>
    public BpeTokenizer Tokenizer => tokenizer;

    /// <inheritdoc />
    public int Count(string text)
    {
        if (nfc)
        {
            text = text.Normalize(NormalizationForm.FormC);
        }
        if (addPrefixSpace && !text.StartsWith(' '))
        {
            text = " " + text;
        }
        return tokenizer.CountTokens(text);
    }
}
