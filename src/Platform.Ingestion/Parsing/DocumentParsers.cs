namespace Platform.Ingestion.Parsing;

/// <summary>Picks the parser by file extension, checks the result is usable text, and bounds its size.</summary>
public sealed class DocumentParsers
{
    private readonly Dictionary<string, IDocumentParser> _byExtension = new(StringComparer.OrdinalIgnoreCase);
    private readonly JsonParser _json = new();

    public DocumentParsers()
    {
        IDocumentParser[] parsers = [new PlainTextParser(), new MarkdownParser(), new HtmlParser(), new PdfParser(), new DocxParser(), _json];
        foreach (var parser in parsers)
        {
            foreach (var extension in parser.Extensions)
            {
                _byExtension[extension] = parser;
            }
        }
    }

    /// <summary>Every extension a document may have, e.g. ".pdf".</summary>
    public IReadOnlyCollection<string> SupportedExtensions => _byExtension.Keys;

    public bool IsSupported(string fileName) => _byExtension.ContainsKey(Path.GetExtension(fileName));

    /// <summary>Parses <paramref name="content"/> as the format its name says; throws <see cref="DocumentRejectedException"/> with a reason for a person.</summary>
    public ParsedDocument Parse(string fileName, byte[] content, ParseLimits limits)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        if (!_byExtension.TryGetValue(extension, out var parser))
        {
            var shown = extension.Length == 0 ? "no extension" : $"'{extension}'";
            throw new DocumentRejectedException(
                $"Files with {shown} are not supported; upload one of: {string.Join(", ", _byExtension.Keys.Order())}.");
        }
        if (content.Length == 0)
        {
            throw new DocumentRejectedException("The file is empty.");
        }
        var parsed = parser == _json ? _json.ParseJson(content, JsonParser.IsLines(extension)) : parser.Parse(content, limits);
        var chars = parsed.Blocks.Sum(b => (long)b.Text.Length);
        if (chars == 0)
        {
            throw new DocumentRejectedException("The file contains no text to index.");
        }
        if (chars > limits.MaxExtractedChars)
        {
            throw new DocumentRejectedException($"The file yields {chars:N0} characters of text, more than the {limits.MaxExtractedChars:N0} allowed for one document.");
        }
        return parsed;
    }
}
