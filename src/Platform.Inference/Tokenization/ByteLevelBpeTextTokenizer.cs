using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using Platform.Inference.Checkpoints;
using Platform.Tokenizers;

namespace Platform.Inference.Tokenization;

/// <summary>
/// Byte-level BPE from a Hugging Face tokenizer.json (Llama 3, Qwen2, SmolLM, GPT-2 style) through
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with the file's own split regex.
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : TextTokenizer
{
    private readonly BpeTokenizer _inner;
    private readonly ByteLevelBpeDefinition _definition;

    private ByteLevelBpeTextTokenizer(BpeTokenizer inner, TokenizerSettings settings, ByteLevelBpeDefinition definition)
        : base(settings)
    {
        _inner = inner;
        _definition = definition;
    }

    /// <inheritdoc />
    public override string Kind => "byte-level-bpe";

    /// <summary>Whether tokenizer.json describes a byte-level BPE model this class can load.</summary>
    public static bool IsByteLevel(JsonFile tokenizerJson) => ByteLevelBpeDefinition.Describes(tokenizerJson.Root);

    /// <summary>Builds the tokenizer from tokenizer.json's model, pre_tokenizer and normalizer.</summary>
    public static ByteLevelBpeTextTokenizer Create(JsonFile json, TokenizerSettings settings)
    {
        ByteLevelBpeDefinition definition;
        try
        {
            definition = ByteLevelBpeDefinition.Read(json.Root);
        }
        catch (TokenizerJsonException e)
        {
            throw json.Error(e.Field, e.Problem);
        }
        var options = new BpeOptions(definition.Vocabulary)
        {
            Merges = definition.Merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(definition.SplitPattern, null),
        };
        return new ByteLevelBpeTextTokenizer(BpeTokenizer.Create(options), settings, definition);
    }

    /// <inheritdoc />
    protected override IEnumerable<int> EncodePlain(string text) => _inner.EncodeToIds(_definition.Prepare(text));

    /// <inheritdoc />
    protected override string DecodePlain(IReadOnlyList<int> ids, bool atStart) => _inner.Decode(ids, considerSpecialTokens: false) ?? "";
}
