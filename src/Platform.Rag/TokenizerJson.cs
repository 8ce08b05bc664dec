using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Platform.Tokenizers;

namespace Platform.Rag;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> describing byte-level BPE (Llama 3, Qwen2, SmolLM, GPT-2) into
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (<see cref="ByteLevelBpeDefinition"/>, shared with the
/// engine's tokenizer), with the added tokens as special tokens, each counted as one. Other tokenizer.json models
/// (SentencePiece-style BPE with byte fallback, Unigram, WordPiece) are not read: <see cref="TryLoad"/> returns
/// null for them.
/// </summary>
public static class TokenizerJson
{
    /// <summary>The tokenizer in <paramref name="json"/>, or null when it is not byte-level BPE.</summary>
    /// <exception cref="FormatException">The file claims byte-level BPE but a field is malformed.</exception>
    public static ByteLevelBpeTokenCounter? TryLoad(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (!ByteLevelBpeDefinition.Describes(root))
        {
            return null;
        }
        var definition = ByteLevelBpeDefinition.Read(root);
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (token.TryGetProperty("content", out var content) && token.TryGetProperty("id", out var id))
                {
                    special[content.GetString()!] = id.GetInt32();
                }
            }
        }
        var options = new BpeOptions(definition.Vocabulary)
        {
            Merges = definition.Merges,
            ByteLevel = true,
            SpecialTokens = special.Count > 0 ? special : null,
            PreTokenizer = new RegexPreTokenizer(definition.SplitPattern, special.Count > 0 ? special : null),
        };
        return new ByteLevelBpeTokenCounter(BpeTokenizer.Create(options), definition);
    }
}
