namespace Platform.Ingestion.Chunking;

/// <summary>Chunk size and overlap, both in the embedding model's tokens.</summary>
/// <param name="MaxTokens">Largest chunk; a block longer than this is split at sentences, then lines, then words.</param>
/// <param name="OverlapTokens">Tokens of the previous chunk repeated at the start of the next one within a section.</param>
public sealed record ChunkingOptions(int MaxTokens = 256, int OverlapTokens = 32)
{
    /// <summary>Throws when the sizes cannot produce chunks.</summary>
    public void Validate()
    {
        if (MaxTokens < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "Chunks need at least 16 tokens.");
        }
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(OverlapTokens), OverlapTokens, "Overlap must be 0 or more and less than the chunk size.");
        }
    }
}
