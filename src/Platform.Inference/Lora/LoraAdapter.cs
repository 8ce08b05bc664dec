using static TorchSharp.torch;

namespace Platform.Inference.Lora;

/// <summary>
/// A loaded LoRA adapter: per target projection, A [r, in] and B [out, r] with the scaling
/// (lora_alpha / r, or / √r for rsLoRA) already folded into B, so the delta is x·Aᵀ·Bᵀ.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    private static long s_loads;

    internal LoraAdapter(string name, string directory, int rank, double scaling, Dictionary<string, (Tensor A, Tensor B)> modules,
        AdapterTokens? tokens = null)
    {
        Tokens = tokens;
        Name = name;
        Directory = directory;
        Rank = rank;
        Scaling = scaling;
        Modules = modules;
        LoadId = Interlocked.Increment(ref s_loads);
    }

    /// <summary>The name requests use ("base:NAME").</summary>
    public string Name { get; }

    /// <summary>The folder it was loaded from; part of the prefix-cache hash root.</summary>
    public string Directory { get; }

    /// <summary>Rank r (adapter_config.json "r").</summary>
    public int Rank { get; }

    /// <summary>lora_alpha / r (or / √r with use_rslora).</summary>
    public double Scaling { get; }

    /// <summary>Unique per load, so a reloaded adapter is never confused with an evicted one.</summary>
    public long LoadId { get; }

    /// <summary>A and scaled B by projection key (e.g. "model.layers.0.self_attn.q_proj").</summary>
    public IReadOnlyDictionary<string, (Tensor A, Tensor B)> Modules { get; }

    /// <summary>The adapter's own embedding rows for some token ids (PEFT trainable tokens), if it has any.</summary>
    public AdapterTokens? Tokens { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Tokens?.Rows.Dispose();
        foreach (var (a, b) in Modules.Values)
        {
            a.Dispose();
            b.Dispose();
        }
    }
}

/// <summary>An adapter's replacement embedding rows: <see cref="Rows"/>[k] is the row of token <see cref="Indices"/>[k].</summary>
public sealed record AdapterTokens(IReadOnlyList<int> Indices, Tensor Rows);
