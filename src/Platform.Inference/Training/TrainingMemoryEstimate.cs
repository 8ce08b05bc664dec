using Platform.Inference.Model;

namespace Platform.Inference.Training;

/// <summary>
/// A conservative estimate of the device memory a LoRA run needs, for asking the pool scheduler:
/// frozen F32 weights, four copies of each adapter value (weight, gradient, two AdamW moments) and
/// the activations autograd keeps for one example of <c>tokens</c> tokens.
/// </summary>
public static class TrainingMemoryEstimate
{
    /// <summary>Bytes for LoRA on <paramref name="config"/> with <paramref name="lora"/>, examples up to <paramref name="tokens"/> long.</summary>
    public static long LoraBytes(LlamaConfig config, LoraSettings lora, int tokens)
    {
        var adapterValues = AdapterValues(config, lora);
        var weights = config.ParameterCount * sizeof(float);
        return weights + 4 * adapterValues * sizeof(float) + ActivationBytes(config, tokens);
    }

    /// <summary>Trainable values LoRA adds for <paramref name="lora"/> on <paramref name="config"/>.</summary>
    public static long AdapterValues(LlamaConfig config, LoraSettings lora)
    {
        long hidden = config.HiddenSize, inter = config.IntermediateSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var shapes = new Dictionary<string, (long In, long Out)>
        {
            ["q_proj"] = (hidden, q), ["k_proj"] = (hidden, kv), ["v_proj"] = (hidden, kv), ["o_proj"] = (q, hidden),
            ["gate_proj"] = (hidden, inter), ["up_proj"] = (hidden, inter), ["down_proj"] = (inter, hidden),
        };
        var perLayer = lora.TargetModules.Sum(m => lora.Rank * (shapes[m].In + shapes[m].Out));
        return perLayer * config.NumHiddenLayers;
    }

    private static long ActivationBytes(LlamaConfig config, int tokens)
    {
        // Per layer: ~16 hidden-sized and ~4 intermediate-sized tensors plus the attention matrix; then the logits twice.
        long t = tokens, perLayer = t * (16L * config.HiddenSize + 4L * config.IntermediateSize)
            + (long)config.NumAttentionHeads * t * t;
        return (perLayer * config.NumHiddenLayers + 2 * t * config.VocabSize) * sizeof(float);
    }
}
