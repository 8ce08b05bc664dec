using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// Key/value storage for incremental decoding. The model calls <see cref="Append"/> once per layer
/// with the new keys/values of a forward pass, then <see cref="Advance"/> once with the number of
/// new positions. Implementations may be dense, paged or shared between requests.
/// </summary>
public interface IKvCache : IDisposable
{
    /// <summary>Positions already stored (committed by <see cref="Advance"/>).</summary>
    int SequenceLength { get; }

    /// <summary>
    /// Stores <paramref name="keys"/>/<paramref name="values"/> ([B, kv_heads, T, head_dim]) for
    /// <paramref name="layer"/> after the committed positions and returns all keys/values for
    /// attention ([B, kv_heads, SequenceLength + T, head_dim]).
    /// </summary>
    (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values);

    /// <summary>
    /// Stores the new <paramref name="keys"/>/<paramref name="values"/> like <see cref="Append"/> and returns the attention
    /// output for <paramref name="query"/> ([B, heads, T, head_dim]) as [B, T, heads · head_dim], computed by the cache over
    /// its own storage; null (having stored nothing) when it has no such kernel for this call, and the model then calls
    /// <see cref="Append"/> and attends itself.
    /// </summary>
    Tensor? Attend(int layer, Tensor query, Tensor keys, Tensor values) => null;

    /// <summary>Commits <paramref name="count"/> new positions after every layer has appended them.</summary>
    void Advance(int count);

    /// <summary>Forgets everything after the first <paramref name="length"/> positions.</summary>
    void Truncate(int length);
}
