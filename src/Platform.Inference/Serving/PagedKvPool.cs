using Platform.Inference.Model;
using static TorchSharp.torch;

namespace Platform.Inference.Serving;

/// <summary>
/// The KV memory of one model: per layer, keys and values as [blocks × block size, kv_heads,
/// head_dim] F32 tensors, addressed by slot (block × block size + offset). Its size in blocks is
/// the configured byte budget divided by <see cref="BytesPerBlock"/>.
/// </summary>
public sealed class PagedKvPool : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    /// <summary>Allocates as many blocks as fit in <paramref name="bytes"/> (at least one).</summary>
    public PagedKvPool(LlamaConfig config, long bytes, int blockSize, Device device)
    {
        BlockSize = blockSize;
        BytesPerBlock = BytesPerBlockFor(config, blockSize);
        TotalBlocks = (int)Math.Clamp(bytes / BytesPerBlock - 1, 1, int.MaxValue / blockSize - 1);
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        // One extra block is scratch space that padding tokens write to.
        long slots = (long)(TotalBlocks + 1) * blockSize;
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = zeros([slots, config.NumKeyValueHeads, config.HeadDim], device: device).DetachFromDisposeScope();
            _values[i] = zeros([slots, config.NumKeyValueHeads, config.HeadDim], device: device).DetachFromDisposeScope();
        }
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>Blocks in the pool.</summary>
    public int TotalBlocks { get; }

    /// <summary>A slot outside every block, written by padding tokens and never read unmasked.</summary>
    public long ScratchSlot => (long)TotalBlocks * BlockSize;

    /// <summary>Bytes one block takes over all layers, keys and values.</summary>
    public long BytesPerBlock { get; }

    /// <summary>2 (K, V) × layers × block size × kv_heads × head_dim × 4 bytes.</summary>
    public static long BytesPerBlockFor(LlamaConfig config, int blockSize) =>
        2L * config.NumHiddenLayers * blockSize * config.NumKeyValueHeads * config.HeadDim * sizeof(float);

    /// <summary>Keys of <paramref name="layer"/>.</summary>
    public Tensor Keys(int layer) => _keys[layer];

    /// <summary>Values of <paramref name="layer"/>.</summary>
    public Tensor Values(int layer) => _values[layer];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }
    }
}
