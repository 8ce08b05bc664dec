namespace Platform.Ingestion.Parsing;

/// <summary>Bounds that keep one hostile or huge document from exhausting the worker.</summary>
/// <param name="MaxExtractedChars">Most characters of text one document may yield.</param>
/// <param name="MaxArchiveBytes">Most uncompressed bytes a DOCX (zip) may expand to.</param>
/// <param name="MaxCompressionRatio">Largest uncompressed/compressed ratio of one zip entry over 1 MiB.</param>
/// <param name="MaxArchiveEntries">Most entries a DOCX may contain.</param>
public sealed record ParseLimits(
    long MaxExtractedChars = 20_000_000,
    long MaxArchiveBytes = 256L * 1024 * 1024,
    double MaxCompressionRatio = 100,
    int MaxArchiveEntries = 10_000)
{
    public static ParseLimits Default { get; } = new();
}
