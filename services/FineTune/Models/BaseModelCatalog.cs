using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.Inference;
using Platform.Inference.Checkpoints;
using Platform.Inference.Model;
using Platform.Inference.Tokenization;
using Platform.Inference.Training;
using Platform.Scheduling.Workloads;

namespace Platform.Services.FineTune.Models;

/// <summary>A base model's tokenizer-side facts, enough to validate and count datasets without loading weights.</summary>
public sealed record BaseModelInfo(string Name, string Directory, LlamaConfig Config, ExampleEncoder Encoder)
{
    public int ContextLength => Config.MaxPositionEmbeddings;

    /// <summary>The model's shape as the pool scheduler sizes it.</summary>
    public ModelSpec Spec => new(Name, Config.ParameterCount, Config.NumHiddenLayers, Config.HiddenSize, Config.NumAttentionHeads,
        Config.NumKeyValueHeads);
}

/// <summary>Base models are folders under ModelsDir (Hugging Face checkpoints); tokenizers are loaded once and cached.</summary>
public sealed class BaseModelCatalog(IOptions<FineTuneOptions> options, ILogger<BaseModelCatalog> logger)
{
    private readonly ConcurrentDictionary<string, Lazy<BaseModelInfo?>> _models = new(StringComparer.Ordinal);

    /// <summary>The folder of <paramref name="name"/> (not checked).</summary>
    public string DirectoryOf(string name) => Path.Combine(options.Value.ModelsDir, name);

    /// <summary>The model, or null when the name is invalid or no loadable checkpoint folder has it.</summary>
    public BaseModelInfo? Find(string? name)
    {
        if (!Names.IsModelName(name) || name == "adapters" || !File.Exists(Path.Combine(DirectoryOf(name!), "config.json")))
        {
            return null;
        }
        var entry = _models.GetOrAdd(name!, n => new Lazy<BaseModelInfo?>(() => Load(n)));
        var info = entry.Value;
        if (info is null)
        {
            _models.TryRemove(name!, out _);
        }
        return info;
    }

    private BaseModelInfo? Load(string name)
    {
        var directory = DirectoryOf(name);
        try
        {
            var config = LlamaConfig.Load(Path.Combine(directory, "config.json"));
            var tokenizer = TokenizerFactory.FromModelDirectory(directory);
            var template = ModelLoader.LoadChatTemplate(directory, tokenizer);
            return new BaseModelInfo(name, directory, config, new ExampleEncoder(tokenizer, template));
        }
        catch (ModelLoadException e)
        {
            logger.LogWarning("Base model {Model} cannot be used: {Problem}", name, e.Message);
            return null;
        }
    }
}
