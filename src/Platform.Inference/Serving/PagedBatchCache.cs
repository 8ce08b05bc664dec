using Platform.Inference.Kernels;
using Platform.Inference.Model;
using static TorchSharp.torch;

namespace Platform.Inference.Serving;

/// <summary>
/// The <see cref="IKvCache"/> seen by one batched forward over a <see cref="PagedKvPool"/>: new
/// keys/values of row b, position t go to slot <c>writeSlots[b·T + t]</c>; attention reads row b's
/// history by gathering <c>gatherSlots[b·S .. b·S + S)</c> (its block table expanded to slots, padded
/// with slot 0 which the caller's mask hides). Positions and the mask are passed to the model
/// explicitly, so <see cref="SequenceLength"/> is not used. Given the block tables on the host too
/// (<paramref name="hostSlots"/>, row b's <paramref name="lengths"/>[b] positions), a decode step on the CPU attends
/// straight from the pool (<see cref="PagedDecodeAttention"/>) instead of gathering.
/// </summary>
public sealed class PagedBatchCache(PagedKvPool pool, Tensor writeSlots, Tensor gatherSlots, int batch, int length, int span,
    long[]? hostSlots = null, int[]? lengths = null) : IKvCache
{
    /// <inheritdoc />
    public int SequenceLength => 0;

    /// <inheritdoc />
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values) =>
        (Store(pool.Keys(layer), keys), Store(pool.Values(layer), values));

    /// <inheritdoc />
    public Tensor? Attend(int layer, Tensor query, Tensor keys, Tensor values)
    {
        Tensor storedKeys = pool.Keys(layer), storedValues = pool.Values(layer);
        if (length != 1 || hostSlots is null || lengths is null || !PagedDecodeAttention.Applies(query, storedKeys, storedValues))
        {
            return null;
        }
        Write(storedKeys, keys);
        Write(storedValues, values);
        return PagedDecodeAttention.Run(query, storedKeys, storedValues, hostSlots, lengths, span);
    }

    private Tensor Store(Tensor storage, Tensor fresh)
    {
        Write(storage, fresh);
        long heads = fresh.shape[1], dim = fresh.shape[3];
        return storage.index_select(0, gatherSlots).view(batch, span, heads, dim).transpose(1, 2);
    }

    private void Write(Tensor storage, Tensor fresh)
    {
        long heads = fresh.shape[1], dim = fresh.shape[3];
        storage.index_copy_(0, writeSlots, fresh.transpose(1, 2).reshape(batch * length, heads, dim));
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
