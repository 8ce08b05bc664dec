using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Platform.Inference;
using Platform.Inference.Checkpoints;
using Platform.Inference.Embeddings;
using Platform.Inference.Kernels;
using Platform.Inference.Serving;

namespace Platform.Services.Inference.Models;

/// <summary>
/// The models this service serves, each with its own <see cref="ServingEngine"/>: every subfolder
/// of Platform:ModelsDir holding a config.json, plus Inference:Models entries. Loaded at start; a
/// model that fails to load is logged and skipped so the others are served.
/// </summary>
public sealed partial class ModelCatalog(
    IConfiguration configuration,
    IOptions<InferenceOptions> options,
    ServingMetrics metrics,
    ILogger<ModelCatalog> logger) : IHostedService, IDisposable
{
    private readonly Dictionary<string, ServingEngine> _engines = new(StringComparer.Ordinal);
    private readonly Lock _lifecycle = new();

    /// <summary>Served models by name.</summary>
    public IReadOnlyDictionary<string, ServingEngine> Engines => _engines;

    /// <summary>
    /// Adapter names <paramref name="tenant"/> can request on <paramref name="baseModel"/>: its own
    /// fine-tuned adapters (Platform:ModelsDir/adapters/&lt;tenant&gt;/&lt;base&gt;:&lt;name&gt;/, as the
    /// fine-tune service writes them) and the shared ones (Inference:Adapters, Inference:AdaptersDir).
    /// </summary>
    public IEnumerable<string> AdapterNames(string baseModel, Guid tenant)
    {
        var names = new SortedSet<string>(options.Value.Adapters.Keys, StringComparer.Ordinal);
        AddAdapterFolders(names, AdaptersDir(), "");
        AddAdapterFolders(names, TenantAdaptersDir(tenant), baseModel + ":");
        return names;
    }

    /// <summary>
    /// The registry key of adapter <paramref name="name"/> of <paramref name="baseModel"/> for
    /// <paramref name="tenant"/>: the tenant's own adapter when it has one by that name, else the
    /// shared one; null for a name that cannot be an adapter.
    /// </summary>
    public string? AdapterKey(string baseModel, string name, Guid tenant)
    {
        if (!AdapterNamePattern().IsMatch(name))
        {
            return null;
        }
        return TenantAdapterDir(tenant, baseModel, name) is { } own && Directory.Exists(own)
            ? $"tenant/{tenant:D}/{name}"
            : name;
    }

    private static void AddAdapterFolders(SortedSet<string> names, string? dir, string prefix)
    {
        if (dir is null || !Directory.Exists(dir))
        {
            return;
        }
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var folder = Path.GetFileName(sub);
            if (folder.StartsWith(prefix, StringComparison.Ordinal) && File.Exists(Path.Combine(sub, "adapter_config.json")))
            {
                names.Add(folder[prefix.Length..]);
            }
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            LoadAll();
        }
        return Task.CompletedTask;
    }

    private void LoadAll()
    {
        // Refusing to start beats silently serving from the CPU when a GPU was asked for.
        var device = TorchDevices.Parse(options.Value.Device);
        CpuGemv.Packing &= options.Value.PackCpuWeights;
        foreach (var (name, directory) in Discover())
        {
            try
            {
                var loaded = ModelLoader.Load(directory, device);
                var adapters = new AdapterRegistry(name, loaded.Model, key => ResolveAdapter(name, key), options.Value.MaxLoadedAdapters);
                _engines[name] = new ServingEngine(name, loaded, EngineOptions(), adapters, metrics,
                    (e, count) => LogStepFailed(e, name, count));
                LogLoaded(name, directory, TorchDevices.Describe(device), _engines[name].TotalBlocks);
            }
            catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
            {
                LogLoadFailed(e, name, directory);
            }
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    private ServingEngineOptions EngineOptions()
    {
        var o = options.Value;
        return new ServingEngineOptions
        {
            KvCacheBytes = o.KvCacheBytes,
            Scheduler = new SchedulerOptions
            {
                MaxBatchedTokens = o.MaxBatchedTokens,
                PrefillChunk = o.PrefillChunk,
                MaxRunningSequences = o.MaxRunningSequences,
                AgingSteps = o.AgingSteps,
                InitialNewTokenRatio = o.InitialNewTokenRatio,
            },
        };
    }

    private IEnumerable<(string Name, string Directory)> Discover()
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (configuration["Platform:ModelsDir"] is { Length: > 0 } modelsDir && Directory.Exists(modelsDir))
        {
            foreach (var sub in Directory.EnumerateDirectories(modelsDir))
            {
                // Encoder folders (BERT) are embedding models, served by EmbeddingCatalog.
                if (File.Exists(Path.Combine(sub, "config.json")) && !SentenceTransformer.IsEncoderFolder(sub))
                {
                    found[Path.GetFileName(sub)] = sub;
                }
            }
        }
        foreach (var (name, directory) in options.Value.Models)
        {
            found[name] = directory;
        }
        return found.Select(p => (p.Key, p.Value));
    }

    private string? AdaptersDir() =>
        options.Value.AdaptersDir ?? (configuration["Platform:DataDir"] is { Length: > 0 } data ? Path.Combine(data, "adapters") : null);

    private string? TenantAdaptersDir(Guid tenant) =>
        configuration["Platform:ModelsDir"] is { Length: > 0 } models ? Path.Combine(models, "adapters", tenant.ToString("D")) : null;

    private string? TenantAdapterDir(Guid tenant, string baseModel, string name) =>
        TenantAdaptersDir(tenant) is { } dir ? Path.Combine(dir, $"{baseModel}:{name}") : null;

    // Keys come from AdapterKey: "tenant/<id>/<name>" (the tenant's own) or "<name>" (shared).
    private string? ResolveAdapter(string baseModel, string key)
    {
        if (key.StartsWith("tenant/", StringComparison.Ordinal))
        {
            var parts = key.Split('/', 3);
            return parts.Length == 3 && Guid.TryParse(parts[1], out var tenant) ? TenantAdapterDir(tenant, baseModel, parts[2]) : null;
        }
        if (options.Value.Adapters.TryGetValue(key, out var explicitDir))
        {
            return explicitDir;
        }
        return AdaptersDir() is { } dir && AdapterNamePattern().IsMatch(key) ? Path.Combine(dir, key) : null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex AdapterNamePattern();

    /// <summary>
    /// Stops every engine loop, then frees its native memory: KV pool, batch LoRA stacks, loaded
    /// adapters and the model's weights (each engine's thread has ended, so nothing uses them).
    /// Safe to call from several threads at once: a host hosted by WebApplicationFactory on Kestrel
    /// stops this service twice at the same moment, and two threads freeing the same TorchSharp
    /// modules and tensors is a native double free (docs/serving.md, "Native crash"). Every caller
    /// returns after the memory is freed.
    /// </summary>
    public void Dispose()
    {
        lock (_lifecycle)
        {
            foreach (var engine in _engines.Values)
            {
                engine.Dispose();
                engine.Adapters?.Dispose();
                engine.Model.Dispose();
            }
            _engines.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving model {Model} from {Directory} on {Device} with {Blocks} KV blocks")]
    private partial void LogLoaded(string model, string directory, string device, int blocks);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} in {Directory} could not be loaded; it is not served")]
    private partial void LogLoadFailed(Exception e, string model, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "An engine step of {Model} failed; its {Count} sequences were failed")]
    private partial void LogStepFailed(Exception e, string model, int count);
}
