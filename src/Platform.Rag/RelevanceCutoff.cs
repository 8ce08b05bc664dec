namespace Platform.Rag;

/// <summary>
/// The relevance cutoff (Kernel Memory's <c>minRelevance</c>, LlamaIndex's <c>similarity_cutoff</c>): chunks whose
/// cosine similarity to the query is below it are dropped. It applies to the vector leg's similarity, not to
/// the fused score: relative-score fusion gives its best hit 1.0 and RRF scores depend on list lengths, so
/// neither has an absolute meaning, while every chunk the vector leg returns has a cosine similarity that means
/// the same under every mode and fusion.
/// </summary>
public static class RelevanceCutoff
{
    /// <summary>Whether <paramref name="minRelevance"/> is a usable cutoff: 0 to 1 inclusive.</summary>
    public static bool IsValid(double minRelevance) => minRelevance is >= 0 and <= 1;

    /// <summary>Each chunk's similarity, read from the vector leg's lists (one per knowledge base).</summary>
    public static IReadOnlyDictionary<Guid, double> Similarities(IEnumerable<IReadOnlyList<RetrievedChunk>> vectorLists)
    {
        var result = new Dictionary<Guid, double>();
        foreach (var chunk in vectorLists.SelectMany(l => l))
        {
            result[chunk.Id] = result.TryGetValue(chunk.Id, out var seen) ? Math.Max(seen, chunk.Score) : chunk.Score;
        }
        return result;
    }

    /// <summary>
    /// <paramref name="ranked"/> in the same order with <see cref="RetrievedChunk.Relevance"/> set from
    /// <paramref name="similarities"/>, and, when <paramref name="minRelevance"/> is given, only the chunks
    /// whose similarity is known and at least the cutoff. A chunk the vector leg did not return has no known
    /// similarity and is dropped: it was not among the nearest chunks, so its similarity is at most theirs.
    /// </summary>
    public static IReadOnlyList<RetrievedChunk> Apply(IReadOnlyList<RetrievedChunk> ranked, IReadOnlyDictionary<Guid, double> similarities,
        double? minRelevance)
    {
        if (minRelevance is { } min && !IsValid(min))
        {
            throw new ArgumentOutOfRangeException(nameof(minRelevance), "The relevance cutoff must be between 0 and 1.");
        }
        return ranked
            .Select(c => c with { Relevance = similarities.TryGetValue(c.Id, out var s) ? s : null })
            .Where(c => minRelevance is not { } cutoff || c.Relevance >= cutoff)
            .ToList();
    }
}
