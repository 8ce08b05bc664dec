namespace Platform.Ingestion.Parsing;

/// <summary>Extracts structured, normalised text from one file format.</summary>
public interface IDocumentParser
{
    /// <summary>Lower-case file extensions with the dot, e.g. ".md".</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>Parses <paramref name="content"/>; throws <see cref="DocumentRejectedException"/> for bad input.</summary>
    ParsedDocument Parse(byte[] content, ParseLimits limits);
}
