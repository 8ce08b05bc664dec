using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// A per-forward replacement of selected vocabulary rows (PEFT's trainable tokens): an adapter's own
/// input embeddings for some token ids and, when the output head is tied to the embeddings, its own
/// logits for those ids. Serving sets one for a batch whose rows may use different adapters (or none),
/// then clears it.
/// </summary>
public interface ITokenDelta
{
    /// <summary>The embeddings to use for <paramref name="inputIds"/> [B, T], given the base ones <paramref name="embeddings"/> [B, T, hidden].</summary>
    Tensor Embed(Tensor inputIds, Tensor embeddings);

    /// <summary>The logits to use for <paramref name="hidden"/> [B, T, hidden], given the tied head's <paramref name="logits"/> [B, T, vocab].</summary>
    Tensor Logits(Tensor hidden, Tensor logits);
}
