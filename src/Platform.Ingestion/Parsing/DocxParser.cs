using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Platform.Ingestion.Parsing;

/// <summary>
/// Word documents via DocumentFormat.OpenXml: headings (Heading1–9 and Title styles), paragraphs,
/// numbered/bulleted list items and tables. The zip is inspected before anything is decompressed:
/// entry count, declared sizes and compression ratios are bounded, so a zip bomb is refused.
/// </summary>
public sealed class DocxParser : IDocumentParser
{
    public IReadOnlyList<string> Extensions { get; } = [".docx"];

    public ParsedDocument Parse(byte[] content, ParseLimits limits)
    {
        if (content.Length < 4 || content[0] != 'P' || content[1] != 'K')
        {
            throw new DocumentRejectedException("The file has a .docx extension but is not a Word document (it is not a zip package).");
        }
        CheckArchive(content, limits);
        try
        {
            using var stream = new MemoryStream(content, writable: false);
            using var word = WordprocessingDocument.Open(stream, false, new OpenSettings { MaxCharactersInPart = limits.MaxExtractedChars * 4 });
            var body = word.MainDocumentPart?.Document?.Body
                ?? throw new DocumentRejectedException("The Word document has no body (the main document part is missing).");
            var styles = StyleNames(word);
            var blocks = new List<TextBlock>();
            foreach (var element in body.ChildElements)
            {
                switch (element)
                {
                    case Paragraph p:
                        AddParagraph(p, styles, blocks);
                        break;
                    case Table t:
                        var rows = t.Elements<TableRow>().Select(r =>
                            string.Join(" | ", r.Elements<TableCell>().Select(c => TextNormalizer.Prose(string.Join(' ', c.Descendants<Paragraph>().Select(ParagraphText))))));
                        var table = string.Join('\n', rows.Where(r => r.Trim('|', ' ').Length > 0));
                        if (table.Length > 0)
                        {
                            blocks.Add(new TextBlock(BlockKind.Table, table));
                        }
                        break;
                }
            }
            return new ParsedDocument(blocks);
        }
        catch (Exception e) when (e is OpenXmlPackageException or InvalidDataException or System.Xml.XmlException or IOException or InvalidOperationException)
        {
            throw new DocumentRejectedException($"The Word document is damaged and cannot be read ({e.Message.TrimEnd('.')}).", e);
        }
    }

    private static void CheckArchive(byte[] content, ParseLimits limits)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count > limits.MaxArchiveEntries)
            {
                throw new DocumentRejectedException($"The Word document has {zip.Entries.Count:N0} parts, more than the {limits.MaxArchiveEntries:N0} allowed; it looks like a zip bomb.");
            }
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                total += entry.Length;
                var ratio = entry.CompressedLength == 0 ? entry.Length : (double)entry.Length / entry.CompressedLength;
                if (entry.Length > 1024 * 1024 && ratio > limits.MaxCompressionRatio)
                {
                    throw new DocumentRejectedException(
                        $"The Word document's part '{entry.FullName}' expands {ratio:F0} times (to {entry.Length / (1024 * 1024):N0} MiB); it looks like a zip bomb and was not opened.");
                }
                if (total > limits.MaxArchiveBytes)
                {
                    throw new DocumentRejectedException(
                        $"The Word document expands to more than {limits.MaxArchiveBytes / (1024 * 1024):N0} MiB; it looks like a zip bomb and was not opened.");
                }
            }
            if (zip.GetEntry("word/document.xml") is null)
            {
                throw new DocumentRejectedException("The file is a zip package but not a Word document (word/document.xml is missing).");
            }
        }
        catch (InvalidDataException e)
        {
            throw new DocumentRejectedException($"The Word document is damaged and cannot be read ({e.Message.TrimEnd('.')}).", e);
        }
    }

    private static Dictionary<string, string> StyleNames(WordprocessingDocument word) =>
        word.MainDocumentPart?.StyleDefinitionsPart?.Styles?.Elements<Style>()
            .Where(s => s.StyleId?.Value is not null)
            .GroupBy(s => s.StyleId!.Value!)
            .ToDictionary(g => g.Key, g => g.First().StyleName?.Val?.Value ?? g.Key)
        ?? [];

    private static void AddParagraph(Paragraph p, Dictionary<string, string> styles, List<TextBlock> blocks)
    {
        var text = TextNormalizer.Prose(ParagraphText(p));
        if (text.Length == 0)
        {
            return;
        }
        var styleId = p.ParagraphProperties?.ParagraphStyleId?.Val?.Value ?? "";
        var styleName = styles.GetValueOrDefault(styleId, styleId).Replace(" ", "").ToLowerInvariant();
        if (styleName == "title")
        {
            blocks.Add(new TextBlock(BlockKind.Heading, text, HeadingLevel: 1));
        }
        else if (styleName.StartsWith("heading", StringComparison.Ordinal) && int.TryParse(styleName["heading".Length..], out var level) && level is >= 1 and <= 9)
        {
            blocks.Add(new TextBlock(BlockKind.Heading, text, HeadingLevel: level));
        }
        else if (p.ParagraphProperties?.NumberingProperties is not null || styleName.StartsWith("listparagraph", StringComparison.Ordinal))
        {
            blocks.Add(new TextBlock(BlockKind.ListItem, text));
        }
        else
        {
            blocks.Add(new TextBlock(BlockKind.Paragraph, text));
        }
    }

    private static string ParagraphText(Paragraph p)
    {
        var sb = new StringBuilder();
        foreach (var e in p.Descendants())
        {
            switch (e)
            {
                case Text t:
                    sb.Append(t.Text);
                    break;
                case TabChar:
                    sb.Append(' ');
                    break;
                case Break or CarriageReturn:
                    sb.Append(' ');
                    break;
            }
        }
        return sb.ToString();
    }
}
