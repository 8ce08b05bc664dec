using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// A per-forward addition to linear layers (LoRA): given a projection's checkpoint key, its input
/// and its base output, returns the output to use. Serving sets one for a batch whose rows may use
/// different adapters (or none), then clears it.
/// </summary>
public interface ILowRankDelta
{
    /// <summary>
    /// The output of projection <paramref name="module"/> (e.g. "model.layers.0.self_attn.q_proj")
    /// for <paramref name="input"/> [B, T, in], given the base output <paramref name="output"/> [B, T, out].
    /// </summary>
    Tensor Apply(string module, Tensor input, Tensor output);

    /// <summary>
    /// Whether <see cref="Apply"/> also takes a <see cref="FusedProjections.Key"/> (its output is the members'
    /// outputs side by side); when not, the model runs the members one by one.
    /// </summary>
    bool AppliesToFusedGroups => false;
}
