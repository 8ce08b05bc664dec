using Platform.Inference.Model;

namespace Platform.Inference.Checkpoints;

/// <summary>
/// The checkpoint's generation defaults (generation_config.json), falling back to config.json for
/// the special token ids. Only the fields the engine uses are kept.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>Beginning-of-sequence id, when known.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>Ids that end generation (finish reason "stop").</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Suggested total length (prompt + completion), when given.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Default temperature, when the checkpoint suggests one.</summary>
    public double? Temperature { get; init; }

    /// <summary>Default top_p, when the checkpoint suggests one.</summary>
    public double? TopP { get; init; }

    /// <summary>Default top_k, when the checkpoint suggests one.</summary>
    public int? TopK { get; init; }

    /// <summary>Default repetition penalty, when the checkpoint suggests one.</summary>
    public double? RepetitionPenalty { get; init; }

    /// <summary>Reads <paramref name="path"/> when it exists; ids missing there come from <paramref name="config"/>.</summary>
    public static GenerationConfig Load(string path, LlamaConfig config)
    {
        var json = JsonFile.LoadIfExists(path);
        if (json is null)
        {
            return new GenerationConfig { BosTokenId = config.BosTokenId, EosTokenIds = config.EosTokenIds };
        }
        var eos = json.GetIntOrList("eos_token_id");
        return new GenerationConfig
        {
            BosTokenId = json.GetInt("bos_token_id") ?? config.BosTokenId,
            EosTokenIds = eos.Count > 0 ? eos : config.EosTokenIds,
            MaxLength = json.GetInt("max_length"),
            Temperature = json.GetDouble("temperature"),
            TopP = json.GetDouble("top_p"),
            TopK = json.GetInt("top_k"),
            RepetitionPenalty = json.GetDouble("repetition_penalty"),
        };
    }
}
