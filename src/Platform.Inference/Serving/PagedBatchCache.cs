using Platform.Inference.Model;
using static TorchSharp.torch;

namespace Platform.Inference.Serving;

/// <summary>
/// The <see cref="IKvCache"/> seen by one batched forward over a <see cref="PagedKvPool"/>: new
/// keys/values of row b, position t go to slot <c>writeSlots[b·T + t]</c>; attention reads row b's
/// history by gathering <c>gatherSlots[b·S .. b·S + S)</c> (its block table expanded to slots, padded
/// with slot 0 which the caller's mask hides). Positions and the mask are passed to the model
/// explicitly, so <see cref="SequenceLength"/> is not used.
/// </summary>
public sealed class PagedBatchCache(PagedKvPool pool, Tensor writeSlots, Tensor gatherSlots, int batch, int length, int span) : IKvCache
{
    /// <inheritdoc />
    public int SequenceLength => 0;

    /// <inheritdoc />
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values) =>
        (Store(pool.Keys(layer), keys), Store(pool.Values(layer), values));

    private Tensor Store(Tensor storage, Tensor fresh)
    {
        long heads = fresh.shape[1], dim = fresh.shape[3];
        storage.index_copy_(0, writeSlots, fresh.transpose(1, 2).reshape(batch * length, heads, dim));
        return storage.index_select(0, gatherSlots).view(batch, span, heads, dim).transpose(1, 2);
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        // The scheduler tracks computed tokens per sequence.
    }

    /// <inheritdoc />
    public void Truncate(int length) =>
        throw new NotSupportedException("a paged batch view lives for one forward pass; the scheduler frees blocks instead");

    /// <inheritdoc />
    public void Dispose()
    {
        // The pool owns the storage; the slot tensors belong to the caller's dispose scope.
    }
}
