using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Platform.Ingestion.Parsing;

/// <summary>Markdown (CommonMark + pipe tables) via Markdig: headings, paragraphs, list items, code, tables, quotes.</summary>
public sealed class MarkdownParser : IDocumentParser
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().Build();

    public IReadOnlyList<string> Extensions { get; } = [".md", ".markdown"];

    public ParsedDocument Parse(byte[] content, ParseLimits limits)
    {
        var markdown = TextDecoding.Decode(content);
        var document = Markdown.Parse(markdown, Pipeline);
        var blocks = new List<TextBlock>();
        foreach (var block in document)
        {
            Visit(block, blocks);
        }
        return new ParsedDocument(blocks);
    }

    private static void Visit(Block block, List<TextBlock> blocks)
    {
        switch (block)
        {
            case HeadingBlock heading:
                Add(blocks, BlockKind.Heading, TextNormalizer.Prose(InlineText(heading.Inline)), heading.Level);
                break;
            case ParagraphBlock paragraph:
                Add(blocks, BlockKind.Paragraph, TextNormalizer.Prose(InlineText(paragraph.Inline)));
                break;
            case CodeBlock code:
                Add(blocks, BlockKind.Code, TextNormalizer.Preformatted(code.Lines.ToString()));
                break;
            case Table table:
                var rows = table.OfType<TableRow>().Select(r =>
                    string.Join(" | ", r.OfType<TableCell>().Select(c => TextNormalizer.Prose(string.Join(' ', c.OfType<ParagraphBlock>().Select(p => InlineText(p.Inline)))))));
                Add(blocks, BlockKind.Table, string.Join('\n', rows));
                break;
            case ListBlock list:
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    var text = new StringBuilder();
                    foreach (var child in item)
                    {
                        if (child is ParagraphBlock p)
                        {
                            text.Append(InlineText(p.Inline)).Append(' ');
                        }
                        else
                        {
                            Visit(child, blocks);
                        }
                    }
                    Add(blocks, BlockKind.ListItem, TextNormalizer.Prose(text.ToString()));
                }
                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    Visit(child, blocks);
                }
                break;
        }
    }

    private static void Add(List<TextBlock> blocks, BlockKind kind, string text, int level = 0)
    {
        if (text.Length > 0)
        {
            blocks.Add(new TextBlock(kind, text, HeadingLevel: level));
        }
    }

    private static string InlineText(ContainerInline? inline)
    {
        var sb = new StringBuilder();
        Append(inline, sb);
        return sb.ToString();
    }

    private static void Append(Inline? inline, StringBuilder sb)
    {
        switch (inline)
        {
            case null:
                return;
            case LiteralInline literal:
                sb.Append(literal.Content.ToString());
                break;
            case CodeInline code:
                sb.Append(code.Content);
                break;
            case LineBreakInline:
                sb.Append(' ');
                break;
            case AutolinkInline auto:
                sb.Append(auto.Url);
                break;
            case ContainerInline container:
                foreach (var child in container)
                {
                    Append(child, sb);
                }
                break;
        }
    }
}
