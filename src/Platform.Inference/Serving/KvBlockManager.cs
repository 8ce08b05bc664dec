namespace Platform.Inference.Serving;

/// <summary>
/// Bookkeeping of a pool of fixed-size KV blocks (no tensors): reference counts, a map from block
/// hash to cached block for prefix reuse, and LRU eviction of cached blocks nobody references.
/// A block is free (never hashed or evicted), referenced (ref count &gt; 0) or cached-unreferenced
/// (hashed, ref count 0, evictable, oldest release first). Not thread-safe: the engine loop owns it.
/// </summary>
public sealed class KvBlockManager
{
    private readonly int[] _refs;
    private readonly UInt128?[] _hashes;
    private readonly Dictionary<UInt128, int> _cached = [];
    private readonly LinkedList<int> _lru = new();
    private readonly LinkedListNode<int>?[] _lruNodes;
    private readonly Queue<int> _free;

    /// <summary>Creates a pool of <paramref name="totalBlocks"/> blocks of <paramref name="blockSize"/> tokens.</summary>
    public KvBlockManager(int totalBlocks, int blockSize = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        TotalBlocks = totalBlocks;
        BlockSize = blockSize;
        _refs = new int[totalBlocks];
        _hashes = new UInt128?[totalBlocks];
        _lruNodes = new LinkedListNode<int>?[totalBlocks];
        _free = new Queue<int>(Enumerable.Range(0, totalBlocks));
    }

    /// <summary>Blocks in the pool.</summary>
    public int TotalBlocks { get; }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>Blocks that can be handed out now (free plus evictable cached ones).</summary>
    public int AvailableBlocks => _free.Count + _lru.Count;

    /// <summary>Blocks referenced by at least one sequence.</summary>
    public int UsedBlocks => TotalBlocks - AvailableBlocks;

    /// <summary>Blocks whose contents are findable by hash (referenced or not).</summary>
    public int CachedBlocks => _cached.Count;

    /// <summary>Cached blocks evicted to make room so far.</summary>
    public long Evictions { get; private set; }

    /// <summary>References held on <paramref name="block"/>.</summary>
    public int RefCount(int block) => _refs[block];

    /// <summary>Whether <paramref name="count"/> blocks can be allocated now.</summary>
    public bool CanAllocate(int count) => count <= AvailableBlocks;

    /// <summary>
    /// Takes a block with one reference: a free one first, else the least recently released cached
    /// block (forgetting its hash). Throws when none is available; check <see cref="CanAllocate"/>.
    /// </summary>
    public int Allocate()
    {
        int block;
        if (_free.Count > 0)
        {
            block = _free.Dequeue();
        }
        else if (_lru.First is { } oldest)
        {
            block = oldest.Value;
            _lru.RemoveFirst();
            _lruNodes[block] = null;
            _cached.Remove(_hashes[block]!.Value);
            _hashes[block] = null;
            Evictions++;
        }
        else
        {
            throw new InvalidOperationException("the KV block pool is exhausted");
        }
        _refs[block] = 1;
        return block;
    }

    /// <summary>
    /// The longest run of cached blocks matching <paramref name="chain"/> from its start; each
    /// returned block gains a reference (release them with <see cref="Release"/>).
    /// </summary>
    public List<int> Match(IReadOnlyList<UInt128> chain)
    {
        var result = new List<int>();
        foreach (var hash in chain)
        {
            if (!_cached.TryGetValue(hash, out var block))
            {
                break;
            }
            if (_refs[block] == 0 && _lruNodes[block] is { } node)
            {
                _lru.Remove(node);
                _lruNodes[block] = null;
            }
            _refs[block]++;
            result.Add(block);
        }
        return result;
    }

    /// <summary>
    /// Makes a referenced, completely written <paramref name="block"/> findable under
    /// <paramref name="hash"/>. When another block already holds that hash (computed concurrently)
    /// the first one stays cached and this one is freed normally on release.
    /// </summary>
    public void Register(int block, UInt128 hash)
    {
        if (_refs[block] <= 0)
        {
            throw new InvalidOperationException($"block {block} is not referenced");
        }
        if (_hashes[block] is null && _cached.TryAdd(hash, block))
        {
            _hashes[block] = hash;
        }
    }

    /// <summary>Drops one reference; at zero a hashed block becomes evictable, an unhashed one free.</summary>
    public void Release(int block)
    {
        if (_refs[block] <= 0)
        {
            throw new InvalidOperationException($"block {block} released more often than referenced");
        }
        if (--_refs[block] > 0)
        {
            return;
        }
        if (_hashes[block] is not null)
        {
            _lruNodes[block] = _lru.AddLast(block);
        }
        else
        {
            _free.Enqueue(block);
        }
    }
}
