namespace Platform.Scheduling.Workloads;

/// <summary>
/// The shape of a decoder-only transformer, enough to size weights, KV cache, adapters and
/// activations. Presets carry the published configs of common models.
/// </summary>
/// <param name="Name">Display name.</param>
/// <param name="Parameters">Total parameter count.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="HiddenSize">Model width.</param>
/// <param name="AttentionHeads">Query heads.</param>
/// <param name="KvHeads">Key/value heads (fewer than query heads under GQA).</param>
public sealed record ModelSpec(string Name, long Parameters, int Layers, int HiddenSize, int AttentionHeads, int KvHeads)
{
    /// <summary>Width of one attention head.</summary>
    public int HeadDim => HiddenSize / AttentionHeads;

    /// <summary>Llama 2 7B (6.74 B parameters, MHA).</summary>
    public static ModelSpec Llama2_7B { get; } = new("llama-2-7b", 6_738_415_616, 32, 4096, 32, 32);

    /// <summary>Llama 2 13B (13.0 B parameters, MHA).</summary>
    public static ModelSpec Llama2_13B { get; } = new("llama-2-13b", 13_015_864_320, 40, 5120, 40, 40);

    /// <summary>Llama 2 70B (69.0 B parameters, GQA with 8 KV heads).</summary>
    public static ModelSpec Llama2_70B { get; } = new("llama-2-70b", 68_976_648_192, 80, 8192, 64, 8);

    /// <summary>Llama 3 8B (8.03 B parameters, GQA with 8 KV heads).</summary>
    public static ModelSpec Llama3_8B { get; } = new("llama-3-8b", 8_030_261_248, 32, 4096, 32, 8);

    /// <summary>OPT-13B, the model the vLLM paper sizes its KV cache with.</summary>
    public static ModelSpec Opt13B { get; } = new("opt-13b", 12_853_000_000, 40, 5120, 40, 40);

    /// <summary>Presets by name.</summary>
    public static IReadOnlyList<ModelSpec> Presets { get; } = [Llama2_7B, Llama2_13B, Llama2_70B, Llama3_8B, Opt13B];

    /// <summary>Finds a preset by name (case-insensitive).</summary>
    public static ModelSpec? Find(string name) =>
        Presets.FirstOrDefault(p => string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
}
