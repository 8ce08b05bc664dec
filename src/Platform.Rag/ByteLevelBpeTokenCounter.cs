using Microsoft.ML.Tokenizers;
using Platform.Tokenizers;

namespace Platform.Rag;

/// <summary>A model's byte-level BPE tokenizer (from its tokenizer.json, <see cref="TokenizerJson"/>) counting prompt tokens.</summary>
/// <param name="tokenizer">The BPE model with the file's split regex and added tokens.</param>
/// <param name="definition">The file's normalization (NFC) and prefix-space settings.</param>
public sealed class ByteLevelBpeTokenCounter(BpeTokenizer tokenizer, ByteLevelBpeDefinition definition) : ITokenCounter
{
    /// <inheritdoc />
    public string Kind => "tokenizer";

    /// <summary>The underlying tokenizer, for tests and diagnostics.</summary>
    public BpeTokenizer Tokenizer => tokenizer;

    /// <inheritdoc />
    public int Count(string text) => tokenizer.CountTokens(definition.Prepare(text));
}
