using Platform.Inference.Chat;
using Platform.Inference.Generation;
using Platform.Inference.Model;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Checkpoints;

/// <summary>Everything loaded from one model folder.</summary>
public sealed class LoadedModel : IDisposable
{
    /// <summary>The folder it came from.</summary>
    public required string Directory { get; init; }

    /// <summary>The network (F32 weights).</summary>
    public required LlamaForCausalLM Model { get; init; }

    /// <summary>The checkpoint's tokenizer.</summary>
    public required ITextTokenizer Tokenizer { get; init; }

    /// <summary>generation_config.json (with config.json fallbacks).</summary>
    public required GenerationConfig Generation { get; init; }

    /// <summary>The chat formatter, or null when the checkpoint has no chat template the engine recognises.</summary>
    public ChatTemplate? ChatTemplate { get; init; }

    /// <summary>A generator stopping on the checkpoint's EOS ids (and the chat template's end-of-turn tokens).</summary>
    public Generator CreateGenerator()
    {
        var eos = new List<int>(Generation.EosTokenIds);
        foreach (var token in ChatTemplate?.EndOfTurnTokens ?? [])
        {
            if (Tokenizer.SpecialTokens.TryGetValue(token, out var id))
            {
                eos.Add(id);
            }
        }
        return new Generator(Model, Tokenizer, eos);
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
