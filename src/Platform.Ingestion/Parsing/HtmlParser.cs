using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Platform.Ingestion.Parsing;

/// <summary>HTML via AngleSharp: scripts, styles and other non-content elements are dropped; block elements become blocks.</summary>
public sealed class HtmlParser : IDocumentParser
{
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object", "embed", "nav", "button", "select", "form",
    };

    private static readonly HashSet<string> BlockContainers = new(StringComparer.OrdinalIgnoreCase)
    {
        "html", "body", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "figure", "figcaption",
        "ul", "ol", "dl", "dd", "dt", "details", "summary", "address", "center", "fieldset",
    };

    public IReadOnlyList<string> Extensions { get; } = [".html", ".htm"];

    public ParsedDocument Parse(byte[] content, ParseLimits limits)
    {
        var html = TextDecoding.Decode(content);
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        var blocks = new List<TextBlock>();
        if (document.Title is { Length: > 0 } title && document.QuerySelector("h1") is null)
        {
            Add(blocks, BlockKind.Heading, TextNormalizer.Prose(title), 1);
        }
        if (document.Body is { } body)
        {
            Walk(body, blocks);
        }
        return new ParsedDocument(blocks);
    }

    private static void Walk(IElement element, List<TextBlock> blocks)
    {
        var inline = new StringBuilder();
        foreach (var node in element.ChildNodes)
        {
            if (node is IText text)
            {
                inline.Append(text.Data);
                continue;
            }
            if (node is not IElement child || Dropped.Contains(child.LocalName))
            {
                continue;
            }
            var name = child.LocalName.ToLowerInvariant();
            var isBlock = name is "p" or "pre" or "li" or "table" or "hr" or "br" || BlockContainers.Contains(name) ||
                          (name.Length == 2 && name[0] == 'h' && char.IsAsciiDigit(name[1]));
            if (!isBlock)
            {
                inline.Append(VisibleText(child));
                continue;
            }
            Flush(inline, blocks);
            switch (name)
            {
                case "p":
                    Add(blocks, BlockKind.Paragraph, TextNormalizer.Prose(VisibleText(child)));
                    break;
                case "pre":
                    Add(blocks, BlockKind.Code, TextNormalizer.Preformatted(VisibleText(child)));
                    break;
                case "li":
                    if (child.QuerySelector("p, ul, ol, pre, table") is null)
                    {
                        Add(blocks, BlockKind.ListItem, TextNormalizer.Prose(VisibleText(child)));
                    }
                    else
                    {
                        Walk(child, blocks);
                    }
                    break;
                case "table":
                    var rows = child.QuerySelectorAll("tr").Select(r =>
                        string.Join(" | ", r.Children.Where(c => c.LocalName is "td" or "th").Select(c => TextNormalizer.Prose(VisibleText(c)))));
                    Add(blocks, BlockKind.Table, string.Join('\n', rows.Where(r => r.Length > 0)));
                    break;
                case "hr" or "br":
                    break;
                default:
                    if (name.Length == 2 && name[0] == 'h' && char.IsAsciiDigit(name[1]))
                    {
                        Add(blocks, BlockKind.Heading, TextNormalizer.Prose(VisibleText(child)), name[1] - '0');
                    }
                    else
                    {
                        Walk(child, blocks);
                    }
                    break;
            }
        }
        Flush(inline, blocks);
    }

    private static void Flush(StringBuilder inline, List<TextBlock> blocks)
    {
        Add(blocks, BlockKind.Paragraph, TextNormalizer.Prose(inline.ToString()));
        inline.Clear();
    }

    private static string VisibleText(INode node)
    {
        var sb = new StringBuilder();
        void Visit(INode n)
        {
            foreach (var c in n.ChildNodes)
            {
                if (c is IText t)
                {
                    sb.Append(t.Data);
                }
                else if (c is IElement e && !Dropped.Contains(e.LocalName))
                {
                    if (e.LocalName is "br")
                    {
                        sb.Append('\n');
                    }
                    Visit(e);
                }
            }
        }
        Visit(node);
        return sb.ToString();
    }

    private static void Add(List<TextBlock> blocks, BlockKind kind, string text, int level = 0)
    {
        if (text.Length > 0)
        {
            blocks.Add(new TextBlock(kind, text, HeadingLevel: level));
        }
    }
}
