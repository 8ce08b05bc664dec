using System.Text.Json;
using Platform.Inference.Chat;
using Platform.Inference.Model;
using Platform.Inference.Tokenization;
using TorchSharp;

namespace Platform.Inference.Checkpoints;

/// <summary>Loads a Hugging Face model folder (weights, tokenizer, generation and chat settings).</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="directory"/> onto <paramref name="device"/> (CPU by default). Every
    /// checkpoint defect surfaces as a <see cref="ModelLoadException"/> naming the file and field.
    /// </summary>
    public static LoadedModel Load(string directory, torch.Device? device = null)
    {
        using var checkpoint = HfCheckpoint.Open(directory);
        var tokenizer = TokenizerFactory.FromModelDirectory(directory);
        var model = LoadModel(checkpoint, device);
        return new LoadedModel
        {
            Directory = directory,
            Model = model,
            Tokenizer = tokenizer,
            Generation = checkpoint.Generation,
            ChatTemplate = LoadChatTemplate(directory, tokenizer),
        };
    }

    /// <summary>Builds the network from an open checkpoint.</summary>
    public static LlamaForCausalLM LoadModel(HfCheckpoint checkpoint, torch.Device? device = null)
    {
        var model = new LlamaForCausalLM(checkpoint.Config, checkpoint, device);
        model.eval();
        return model;
    }

    /// <summary>The chat template named in tokenizer_config.json, when the engine recognises its family.</summary>
    public static ChatTemplate? LoadChatTemplate(string directory, ITextTokenizer tokenizer)
    {
        var config = JsonFile.LoadIfExists(Path.Combine(directory, "tokenizer_config.json"));
        var template = config?.Get("chat_template") switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            // A list of named templates: use "default" or the first.
            { ValueKind: JsonValueKind.Array } list => list.EnumerateArray()
                .OrderBy(t => t.TryGetProperty("name", out var n) && n.GetString() == "default" ? 0 : 1)
                .Select(t => t.TryGetProperty("template", out var v) ? v.GetString() : null)
                .FirstOrDefault(),
            _ => throw config.Error("chat_template", "must be a string or a list of {name, template}"),
        };
        var format = ChatTemplate.Detect(template);
        if (format is null)
        {
            return null;
        }
        var eos = tokenizer.EosTokenIds.Count > 0
            ? tokenizer.SpecialTokens.FirstOrDefault(p => p.Value == tokenizer.EosTokenIds[0]).Key
            : null;
        return new ChatTemplate(format.Value, tokenizer.BosToken ?? "", eos ?? "</s>");
    }
}
