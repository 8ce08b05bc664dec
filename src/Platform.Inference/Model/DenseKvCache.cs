using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// A contiguous per-layer cache [B, kv_heads, capacity, head_dim] written in place, so decoding
/// allocates nothing per token; capacity doubles when exceeded.
/// </summary>
public sealed class DenseKvCache : IKvCache
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    /// <summary>Creates an empty cache for <paramref name="config"/> holding <paramref name="capacity"/> positions.</summary>
    public DenseKvCache(LlamaConfig config, int capacity, Device? device = null, int batchSize = 1)
    {
        Capacity = Math.Max(capacity, 1);
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = zeros([batchSize, config.NumKeyValueHeads, Capacity, config.HeadDim], device: device).DetachFromDisposeScope();
            _values[i] = zeros([batchSize, config.NumKeyValueHeads, Capacity, config.HeadDim], device: device).DetachFromDisposeScope();
        }
    }

    /// <summary>Positions the cache can hold before it grows.</summary>
    public int Capacity { get; private set; }

    /// <inheritdoc />
    public int SequenceLength { get; private set; }

    /// <inheritdoc />
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var count = (int)keys.shape[2];
        var end = SequenceLength + count;
        if (end > Capacity)
        {
            Grow(Math.Max(end, Capacity * 2));
        }
        _keys[layer].narrow(2, SequenceLength, count).copy_(keys);
        _values[layer].narrow(2, SequenceLength, count).copy_(values);
        return (_keys[layer].narrow(2, 0, end), _values[layer].narrow(2, 0, end));
    }

    /// <inheritdoc />
    public void Advance(int count) => SequenceLength += count;

    /// <summary>Batch rows the cache was made for.</summary>
    public long BatchSize => _keys[0].shape[0];

    /// <summary>Grows the storage so positions up to <paramref name="end"/> fit (the CPU decode step writes in place).</summary>
    public void EnsureCapacity(int end)
    {
        if (end > Capacity)
        {
            Grow(Math.Max(end, Capacity * 2));
        }
    }

    /// <summary>Layer <paramref name="layer"/>'s key and value storage [B, kv_heads, Capacity, head_dim].</summary>
    public (Tensor Keys, Tensor Values) Storage(int layer) => (_keys[layer], _values[layer]);

    /// <inheritdoc />
    public void Truncate(int length) => SequenceLength = Math.Clamp(length, 0, SequenceLength);

    private void Grow(int capacity)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = Resize(_keys[i], capacity);
            _values[i] = Resize(_values[i], capacity);
        }
        Capacity = capacity;
    }

    private static Tensor Resize(Tensor old, int capacity)
    {
        var shape = old.shape;
        shape[2] = capacity;
        // Grown storage must outlive the forward pass whose dispose scope is active right now.
        var grown = zeros(shape, old.dtype, old.device).DetachFromDisposeScope();
        grown.narrow(2, 0, old.shape[2]).copy_(old);
        old.Dispose();
        return grown;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }
    }
}
