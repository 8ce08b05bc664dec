using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Inference;
using Platform.Inference.Embeddings;

namespace Platform.Services.Inference.Models;

/// <summary>
/// The embedding models served on /v1/embeddings: every sentence-transformers BERT folder under
/// Platform:ModelsDir (the same folders Ingestion embeds with), plus Inference:EmbeddingModels
/// entries. Each loads on first use and is then shared; all are freed at shutdown.
/// </summary>
public sealed class EmbeddingCatalog(IConfiguration configuration, IOptions<InferenceOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<SentenceTransformer>> _loaded = new(StringComparer.Ordinal);

    /// <summary>Served embedding models: name → folder.</summary>
    public IReadOnlyDictionary<string, string> Folders()
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (configuration["Platform:ModelsDir"] is { Length: > 0 } modelsDir && Directory.Exists(modelsDir))
        {
            foreach (var sub in Directory.EnumerateDirectories(modelsDir).Where(SentenceTransformer.IsEncoderFolder))
            {
                found[Path.GetFileName(sub)] = sub;
            }
        }
        foreach (var (name, folder) in options.Value.EmbeddingModels)
        {
            found[name] = folder;
        }
        return found;
    }

    /// <summary>
    /// The model named <paramref name="name"/>, loaded if needed; null when no such model is served.
    /// Throws <see cref="ModelLoadException"/> for a defective model folder.
    /// </summary>
    public SentenceTransformer? Find(string name)
    {
        if (!Folders().TryGetValue(name, out var folder))
        {
            return null;
        }
        var lazy = _loaded.GetOrAdd(name, _ => new Lazy<SentenceTransformer>(() => SentenceTransformer.Load(folder, name)));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            // Not cached, so a repaired folder loads on the next request.
            _loaded.TryRemove(new KeyValuePair<string, Lazy<SentenceTransformer>>(name, lazy));
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var lazy in _loaded.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }
        _loaded.Clear();
    }
}
