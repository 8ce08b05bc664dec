namespace Platform.Ingestion.Parsing;

/// <summary>The structural role of a block of text; the chunker keeps blocks whole where they fit.</summary>
public enum BlockKind
{
    Heading,
    Paragraph,
    ListItem,
    Code,
    Table,
}

/// <summary>One structural unit of a parsed document, already normalised.</summary>
/// <param name="Kind">Heading, paragraph, list item, code block or table.</param>
/// <param name="Text">Normalised text (code keeps its line breaks and indentation).</param>
/// <param name="Page">1-based page for paginated formats (PDF); null otherwise.</param>
/// <param name="HeadingLevel">1–9 for headings; 0 for other blocks.</param>
public sealed record TextBlock(BlockKind Kind, string Text, int? Page = null, int HeadingLevel = 0);

/// <summary>What a parser extracts: the document's blocks in reading order.</summary>
public sealed record ParsedDocument(IReadOnlyList<TextBlock> Blocks, int? PageCount = null);
