using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace Platform.Ingestion.Parsing;

/// <summary>PDF via PdfPig: text in content order, one or more paragraphs per page, each tagged with its page number.</summary>
public sealed class PdfParser : IDocumentParser
{
    public IReadOnlyList<string> Extensions { get; } = [".pdf"];

    public ParsedDocument Parse(byte[] content, ParseLimits limits)
    {
        if (content.Length < 5 || content[0] != '%' || content[1] != 'P' || content[2] != 'D' || content[3] != 'F' || content[4] != '-')
        {
            throw new DocumentRejectedException("The file has a .pdf extension but is not a PDF (it does not start with %PDF-).");
        }
        try
        {
            using var pdf = PdfDocument.Open(content, new ParsingOptions { UseLenientParsing = false });
            var blocks = new List<TextBlock>();
            long chars = 0;
            foreach (var page in pdf.GetPages())
            {
                var text = ContentOrderTextExtractor.GetText(page).Replace("\r\n", "\n");
                foreach (var paragraph in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                {
                    if (TextNormalizer.Prose(paragraph) is { Length: > 0 } prose)
                    {
                        chars += prose.Length;
                        if (chars > limits.MaxExtractedChars)
                        {
                            throw new DocumentRejectedException($"The PDF yields more than {limits.MaxExtractedChars:N0} characters of text, over the limit for one document.");
                        }
                        blocks.Add(new TextBlock(BlockKind.Paragraph, prose, page.Number));
                    }
                }
            }
            if (blocks.Count == 0 && pdf.NumberOfPages > 0)
            {
                throw new DocumentRejectedException(
                    $"The PDF has {pdf.NumberOfPages} page(s) but no extractable text; it may be a scanned image (OCR is not supported).");
            }
            return new ParsedDocument(blocks, pdf.NumberOfPages);
        }
        catch (PdfDocumentEncryptedException e)
        {
            throw new DocumentRejectedException("The PDF is encrypted (password-protected); remove the password and upload it again.", e);
        }
        catch (Exception e) when (e is not DocumentRejectedException and not OutOfMemoryException and not OperationCanceledException)
        {
            throw new DocumentRejectedException($"The PDF is damaged and cannot be read ({e.Message.TrimEnd('.')}).", e);
        }
    }
}
