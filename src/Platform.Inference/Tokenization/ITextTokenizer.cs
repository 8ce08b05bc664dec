namespace Platform.Inference.Tokenization;

/// <summary>Text ⇄ token ids for one checkpoint, with its special tokens and BOS/EOS rules.</summary>
public interface ITextTokenizer
{
    /// <summary>"sentencepiece" or "byte-level-bpe".</summary>
    string Kind { get; }

    /// <summary>Beginning-of-sequence id, when the tokenizer has one.</summary>
    int? BosTokenId { get; }

    /// <summary>The BOS token's text (e.g. "&lt;s&gt;"), when there is one.</summary>
    string? BosToken { get; }

    /// <summary>End-of-sequence ids named by the tokenizer (tokenizer_config.json eos_token).</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>Whether <see cref="Encode"/> with special tokens prepends BOS.</summary>
    bool AddBosToken { get; }

    /// <summary>Special and added tokens by text; they are matched literally inside encoded text.</summary>
    IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>. Special-token text inside it becomes the special id; with
    /// <paramref name="addSpecialTokens"/> BOS/EOS are added as the checkpoint's config says.
    /// </summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    /// <summary>Decodes <paramref name="ids"/>; special tokens are dropped when <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);
}
