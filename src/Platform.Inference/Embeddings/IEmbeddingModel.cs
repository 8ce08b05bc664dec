namespace Platform.Inference.Embeddings;

/// <summary>
/// A text embedding model: counts tokens the way it reads them (chunkers size chunks with it) and
/// maps texts to fixed-dimension, L2-normalised vectors. Implementations are thread-safe.
/// </summary>
public interface IEmbeddingModel
{
    /// <summary>Stable id recorded with every knowledge base built with this model.</summary>
    string Id { get; }

    /// <summary>Length of every vector <see cref="Embed"/> returns.</summary>
    int Dimensions { get; }

    /// <summary>The longest input, in this model's tokens, that is embedded without truncation.</summary>
    int MaxInputTokens { get; }

    /// <summary>Number of model tokens in <paramref name="text"/>, special tokens excluded.</summary>
    int CountTokens(string text);

    /// <summary>One unit-length vector per text, in order.</summary>
    IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}
