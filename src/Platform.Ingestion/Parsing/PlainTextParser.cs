namespace Platform.Ingestion.Parsing;

/// <summary>Plain text: blank lines separate paragraphs; lines starting with a bullet are list items.</summary>
public sealed class PlainTextParser : IDocumentParser
{
    public IReadOnlyList<string> Extensions { get; } = [".txt", ".text"];

    public ParsedDocument Parse(byte[] content, ParseLimits limits)
    {
        var text = TextDecoding.Decode(content).Replace("\r\n", "\n").Replace('\r', '\n');
        var blocks = new List<TextBlock>();
        foreach (var paragraph in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = paragraph.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (lines.Length > 1 && lines.All(IsBullet))
            {
                blocks.AddRange(lines.Select(l => new TextBlock(BlockKind.ListItem, TextNormalizer.Prose(l))));
            }
            else if (TextNormalizer.Prose(paragraph) is { Length: > 0 } prose)
            {
                blocks.Add(new TextBlock(IsBullet(prose) ? BlockKind.ListItem : BlockKind.Paragraph, prose));
            }
        }
        return new ParsedDocument(blocks);
    }

    private static bool IsBullet(string line) =>
        line.StartsWith("- ", StringComparison.Ordinal) || line.StartsWith("* ", StringComparison.Ordinal) ||
        line.StartsWith("• ", StringComparison.Ordinal);
}
