namespace Platform.Inference.Tokenization;

/// <summary>
/// The BOS/EOS rules and special tokens gathered from tokenizer_config.json, tokenizer.json and the
/// model files, shared by both tokenizer kinds.
/// </summary>
public sealed record TokenizerSettings
{
    /// <summary>Added/special tokens by text.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; init; } = new Dictionary<string, int>();

    /// <summary>Ids whose text is dropped when decoding with skipSpecialTokens.</summary>
    public IReadOnlySet<int> SkippedIds { get; init; } = new HashSet<int>();

    /// <summary>BOS text, when the tokenizer has one.</summary>
    public string? BosToken { get; init; }

    /// <summary>BOS id, when the tokenizer has one.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>EOS ids.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Prepend BOS when encoding with special tokens.</summary>
    public bool AddBos { get; init; }

    /// <summary>Append EOS when encoding with special tokens.</summary>
    public bool AddEos { get; init; }
}
