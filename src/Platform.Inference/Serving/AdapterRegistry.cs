using Platform.Inference.Lora;
using Platform.Inference.Model;

namespace Platform.Inference.Serving;

/// <summary>
/// The LoRA adapters of one base model by key, loaded on first use from the folder the resolver
/// names and kept in an LRU bounded by <c>maxLoaded</c>. Adapters in use by a sequence (leased) are
/// never evicted; when every loaded adapter is leased the bound is exceeded until leases end. The
/// resolver decides which keys exist (and so which folders a key can reach). Thread-safe.
/// </summary>
public sealed class AdapterRegistry : IDisposable
{
    private readonly LlamaForCausalLM _model;
    private readonly string _modelName;
    private readonly Func<string, string?> _resolve;
    private readonly int _maxLoaded;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _loaded = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _lru = new();
    private bool _disposed;

    /// <summary>
    /// Creates a registry for <paramref name="model"/>; <paramref name="resolve"/> maps an adapter
    /// key to its folder (null when unknown).
    /// </summary>
    public AdapterRegistry(string modelName, LlamaForCausalLM model, Func<string, string?> resolve, int maxLoaded)
    {
        _modelName = modelName;
        _model = model;
        _resolve = resolve;
        _maxLoaded = Math.Max(1, maxLoaded);
    }

    /// <summary>Adapters currently in memory.</summary>
    public int LoadedCount
    {
        get
        {
            lock (_lock)
            {
                return _loaded.Count;
            }
        }
    }

    /// <summary>Names of the adapters currently in memory.</summary>
    public IReadOnlyList<string> LoadedNames
    {
        get
        {
            lock (_lock)
            {
                return [.. _loaded.Keys];
            }
        }
    }

    /// <summary>
    /// Returns adapter <paramref name="name"/>, loading it if needed, with a lease the caller must
    /// give back with <see cref="Release"/>. Throws <see cref="AdapterNotFoundException"/> for an
    /// unknown name and <see cref="ModelLoadException"/> for a defective or mismatched adapter.
    /// </summary>
    public LoraAdapter Acquire(string name)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_loaded.TryGetValue(name, out var entry))
            {
                var directory = _resolve(name);
                if (directory is null || !Directory.Exists(directory))
                {
                    throw new AdapterNotFoundException(name, _modelName);
                }
                // Loading under the lock keeps one copy per adapter; adapters are small (megabytes).
                entry = new Entry(LoraAdapterLoader.Load(name, directory, _model));
                _loaded[name] = entry;
                entry.Node = _lru.AddLast(name);
            }
            else
            {
                _lru.Remove(entry.Node!);
                entry.Node = _lru.AddLast(name);
            }
            // Leased before evicting, so the adapter being handed out is never the one freed.
            entry.Leases++;
            EvictOverBound();
            return entry.Adapter;
        }
    }

    /// <summary>Ends a lease taken by <see cref="Acquire"/>.</summary>
    public void Release(LoraAdapter adapter)
    {
        lock (_lock)
        {
            if (_loaded.TryGetValue(adapter.Name, out var entry) && entry.Adapter == adapter)
            {
                entry.Leases--;
                EvictOverBound();
            }
        }
    }

    private void EvictOverBound()
    {
        var node = _lru.First;
        while (_loaded.Count > _maxLoaded && node is not null)
        {
            var next = node.Next;
            var entry = _loaded[node.Value];
            if (entry.Leases == 0)
            {
                _lru.Remove(node);
                _loaded.Remove(node.Value);
                entry.Adapter.Dispose();
            }
            node = next;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var entry in _loaded.Values)
            {
                entry.Adapter.Dispose();
            }
            _loaded.Clear();
            _lru.Clear();
        }
    }

    private sealed class Entry(LoraAdapter adapter)
    {
        public LoraAdapter Adapter { get; } = adapter;

        public int Leases { get; set; }

        public LinkedListNode<string>? Node { get; set; }
    }
}
