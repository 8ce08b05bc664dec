using System.Text.Json;
using Platform.Inference.Model;
using TorchSharp;

namespace Platform.Inference.Checkpoints;

/// <summary>
/// A Hugging Face model folder as published: config.json, model.safetensors or sharded
/// model-0000N-of-0000M.safetensors with model.safetensors.index.json, and optional
/// generation_config.json. Weight files are memory-mapped and read on demand.
/// </summary>
public sealed class HfCheckpoint : IWeightSource, IDisposable
{
    private readonly Dictionary<string, SafetensorsFile> _tensorFiles;
    private readonly List<SafetensorsFile> _files;

    private HfCheckpoint(string directory, LlamaConfig config, GenerationConfig generation,
        Dictionary<string, SafetensorsFile> tensorFiles, List<SafetensorsFile> files)
    {
        Directory = directory;
        Config = config;
        Generation = generation;
        _tensorFiles = tensorFiles;
        _files = files;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>Parsed config.json.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Parsed generation_config.json (defaults from config.json when absent).</summary>
    public GenerationConfig Generation { get; }

    /// <summary>Opens <paramref name="directory"/>; throws <see cref="ModelLoadException"/> naming the file at fault.</summary>
    public static HfCheckpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new ModelLoadException(directory, null, "model folder not found");
        }
        var config = LlamaConfig.Load(Path.Combine(directory, "config.json"));
        var generation = GenerationConfig.Load(Path.Combine(directory, "generation_config.json"), config);
        var files = new List<SafetensorsFile>();
        try
        {
            var tensorFiles = OpenWeights(directory, files);
            return new HfCheckpoint(directory, config, generation, tensorFiles, files);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    private static Dictionary<string, SafetensorsFile> OpenWeights(string directory, List<SafetensorsFile> files)
    {
        var map = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var indexPath = Path.Combine(directory, "model.safetensors.index.json");
        var singlePath = Path.Combine(directory, "model.safetensors");
        if (File.Exists(indexPath))
        {
            var index = JsonFile.Load(indexPath);
            if (index.Get("weight_map") is not { ValueKind: JsonValueKind.Object } weightMap)
            {
                throw index.Error("weight_map", "is required (an object from tensor name to shard file)");
            }
            var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var entry in weightMap.EnumerateObject())
            {
                var shardName = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                if (shardName.Length == 0 || Path.GetFileName(shardName) != shardName)
                {
                    throw index.Error($"weight_map.{entry.Name}", "must name a shard file in the same folder");
                }
                if (!shards.TryGetValue(shardName, out var shard))
                {
                    var shardPath = Path.Combine(directory, shardName);
                    if (!File.Exists(shardPath))
                    {
                        throw index.Error($"weight_map.{entry.Name}", $"shard {shardName} does not exist");
                    }
                    shard = SafetensorsFile.Open(shardPath);
                    files.Add(shard);
                    shards[shardName] = shard;
                }
                if (!shard.Tensors.ContainsKey(entry.Name))
                {
                    throw new ModelLoadException(shard.Path, entry.Name, $"tensor listed in {indexPath} is missing from this shard");
                }
                map[entry.Name] = shard;
            }
            return map;
        }
        if (!File.Exists(singlePath))
        {
            throw new ModelLoadException(singlePath, null,
                "file not found (need model.safetensors or model.safetensors.index.json; .bin/.pth checkpoints are not supported)");
        }
        var single = SafetensorsFile.Open(singlePath);
        files.Add(single);
        foreach (var name in single.Tensors.Keys)
        {
            map[name] = single;
        }
        return map;
    }

    /// <inheritdoc />
    public bool Contains(string name) => _tensorFiles.ContainsKey(name);

    /// <inheritdoc />
    public torch.Tensor Get(string name, long[] shape)
    {
        if (!_tensorFiles.TryGetValue(name, out var file))
        {
            var where = _files.Count == 1 ? _files[0].Path : Path.Combine(Directory, "model.safetensors.index.json");
            throw new ModelLoadException(where, name, "tensor is missing");
        }
        var info = file.Tensors[name];
        if (!info.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(file.Path, name,
                $"shape is [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", shape)}]");
        }
        return file.ReadTensor(name, torch.ScalarType.Float32);
    }

    /// <inheritdoc />
    public void Dispose() => _files.ForEach(f => f.Dispose());
}
