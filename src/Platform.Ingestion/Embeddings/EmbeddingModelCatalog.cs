using System.Collections.Concurrent;
using Platform.Inference.Embeddings;

namespace Platform.Ingestion.Embeddings;

/// <summary>
/// The embedding models this process can use: the built-in lexical embedder always, plus every
/// sentence-transformers BERT checkpoint folder under the models directory (loaded on first use,
/// then shared). Ids are a lexical embedder's (every version stays resolvable, so a knowledge base keeps
/// the embedder its chunks were built with) or the folder name.
/// </summary>
public sealed class EmbeddingModelCatalog(string? modelsDir)
{
    private readonly ConcurrentDictionary<string, Lazy<IEmbeddingModel>> _loaded = new(StringComparer.Ordinal);

    /// <summary>Ids of every model available now.</summary>
    public IReadOnlyList<string> Available()
    {
        var ids = new List<string> { LexicalEmbedder.DefaultId, LexicalEmbedder.V1Id };
        if (modelsDir is not null && Directory.Exists(modelsDir))
        {
            ids.AddRange(Directory.GetDirectories(modelsDir).Where(SentenceTransformer.IsEncoderFolder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));
        }
        return ids;
    }

    /// <summary>The model with this id, or null when there is none.</summary>
    public IEmbeddingModel? Find(string id)
    {
        if (LexicalEmbedder.FromId(id) is { } lexical)
        {
            return _loaded.GetOrAdd(id, _ => new Lazy<IEmbeddingModel>(() => lexical)).Value;
        }
        if (modelsDir is null || id.Length == 0 || id.Contains('/') || id.Contains('\\') || id.StartsWith('.'))
        {
            return null;
        }
        var folder = Path.Combine(modelsDir, id);
        if (!SentenceTransformer.IsEncoderFolder(folder))
        {
            return null;
        }
        return _loaded.GetOrAdd(id, _ => new Lazy<IEmbeddingModel>(() => SentenceTransformer.Load(folder, id))).Value;
    }
}
