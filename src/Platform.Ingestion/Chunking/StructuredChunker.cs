using System.Text;
using System.Text.RegularExpressions;
using Platform.Ingestion.Parsing;

namespace Platform.Ingestion.Chunking;

/// <summary>
/// Packs a document's blocks into chunks counted in the embedding model's tokens. Headings open a new
/// chunk (a chunk never spans two sections), blocks are kept whole where they fit, and an oversized
/// block is split at sentence ends (prose) or line ends (code, tables), then at word boundaries.
/// Within a section consecutive chunks overlap by up to <see cref="ChunkingOptions.OverlapTokens"/>.
/// </summary>
public sealed partial class StructuredChunker(Func<string, int> countTokens)
{
    private const string BlockSeparator = "\n\n";

    public ChunkedDocument Chunk(ParsedDocument document, ChunkingOptions options)
    {
        options.Validate();
        var text = new StringBuilder();
        var pieces = new List<Piece>();
        var headings = new List<(int Level, string Text)>();
        foreach (var block in document.Blocks)
        {
            if (block.Text.Length == 0)
            {
                continue;
            }
            if (text.Length > 0)
            {
                text.Append(BlockSeparator);
            }
            var start = text.Length;
            text.Append(block.Text);
            if (block.Kind == BlockKind.Heading)
            {
                headings.RemoveAll(h => h.Level >= block.HeadingLevel);
                headings.Add((block.HeadingLevel, block.Text));
            }
            var path = headings.Select(h => h.Text).ToArray();
            Split(block, start, path, options.MaxTokens, pieces);
        }
        var documentText = text.ToString();
        return new ChunkedDocument(documentText, Pack(pieces, documentText, options));
    }

    private void Split(TextBlock block, int offset, string[] path, int maxTokens, List<Piece> pieces)
    {
        var tokens = countTokens(block.Text);
        if (tokens <= maxTokens)
        {
            pieces.Add(new Piece(block.Kind, offset, offset + block.Text.Length, tokens, block.Page, path));
            return;
        }
        var units = block.Kind is BlockKind.Code or BlockKind.Table ? Lines(block.Text) : Sentences(block.Text);
        // Group consecutive units greedily so a split block still yields as few pieces as possible.
        var groupStart = -1;
        var groupEnd = 0;
        var groupTokens = 0;
        foreach (var (start, end) in units)
        {
            var unitTokens = countTokens(block.Text[start..end]);
            if (groupStart >= 0 && groupTokens + unitTokens > maxTokens)
            {
                pieces.Add(new Piece(block.Kind, offset + groupStart, offset + groupEnd, groupTokens, block.Page, path));
                groupStart = -1;
                groupTokens = 0;
            }
            if (unitTokens > maxTokens)
            {
                foreach (var (ws, we, wt) in WordWindows(block.Text, start, end, maxTokens))
                {
                    pieces.Add(new Piece(block.Kind, offset + ws, offset + we, wt, block.Page, path));
                }
                continue;
            }
            if (groupStart < 0)
            {
                groupStart = start;
            }
            groupEnd = end;
            groupTokens += unitTokens;
        }
        if (groupStart >= 0)
        {
            pieces.Add(new Piece(block.Kind, offset + groupStart, offset + groupEnd, groupTokens, block.Page, path));
        }
    }

    private IEnumerable<(int Start, int End, int Tokens)> WordWindows(string text, int start, int end, int maxTokens)
    {
        var windowStart = -1;
        var windowEnd = 0;
        var windowTokens = 0;
        foreach (Match word in Word().Matches(text[..end], start))
        {
            var tokens = countTokens(word.Value);
            if (windowStart >= 0 && windowTokens + tokens > maxTokens)
            {
                yield return (windowStart, windowEnd, windowTokens);
                windowStart = -1;
                windowTokens = 0;
            }
            if (tokens > maxTokens)
            {
                // One "word" longer than a chunk (a base64 blob, say): cut it by characters.
                var step = Math.Max(1, word.Length * maxTokens / tokens / 2);
                for (var i = 0; i < word.Length; i += step)
                {
                    var s = word.Index + i;
                    var e = Math.Min(word.Index + word.Length, s + step);
                    yield return (s, e, countTokens(text[s..e]));
                }
                continue;
            }
            if (windowStart < 0)
            {
                windowStart = word.Index;
            }
            windowEnd = word.Index + word.Length;
            windowTokens += tokens;
        }
        if (windowStart >= 0)
        {
            yield return (windowStart, windowEnd, windowTokens);
        }
    }

    private static List<Chunk> Pack(List<Piece> pieces, string text, ChunkingOptions options)
    {
        var chunks = new List<Chunk>();
        var current = new List<Piece>();
        var currentTokens = 0;
        var fresh = 0; // pieces in current that were not carried over as overlap

        void Emit()
        {
            if (fresh == 0)
            {
                return;
            }
            var first = current[0];
            var last = current[^1];
            var pages = current.Where(p => p.Page is not null).Select(p => p.Page!.Value).ToArray();
            // The innermost section the chunk's content belongs to: leading headings are part of it.
            var own = current.Skip(current.Count - fresh).ToList();
            var path = (own.FirstOrDefault(p => p.Kind != BlockKind.Heading) ?? own[0]).HeadingPath;
            chunks.Add(new Chunk(chunks.Count, text[first.Start..last.End], currentTokens,
                pages.Length == 0 ? null : pages.Min(), pages.Length == 0 ? null : pages.Max(), path, first.Start, last.End));
        }

        foreach (var piece in pieces)
        {
            var sectionBreak = piece.Kind == BlockKind.Heading && current.Any(p => p.Kind != BlockKind.Heading);
            if (sectionBreak)
            {
                Emit();
                current.Clear();
                currentTokens = 0;
                fresh = 0;
            }
            else if (current.Count > 0 && currentTokens + piece.Tokens > options.MaxTokens)
            {
                Emit();
                // Carry the tail of the chunk just emitted, as long as it and the new piece fit.
                var carried = new List<Piece>();
                var carriedTokens = 0;
                for (var i = current.Count - 1; i >= 0; i--)
                {
                    var p = current[i];
                    if (carriedTokens + p.Tokens > options.OverlapTokens || carriedTokens + p.Tokens + piece.Tokens > options.MaxTokens)
                    {
                        break;
                    }
                    carried.Insert(0, p);
                    carriedTokens += p.Tokens;
                }
                current = carried;
                currentTokens = carriedTokens;
                fresh = 0;
            }
            current.Add(piece);
            currentTokens += piece.Tokens;
            fresh++;
        }
        Emit();
        return chunks;
    }

    private static IEnumerable<(int Start, int End)> Sentences(string text)
    {
        var start = 0;
        foreach (Match boundary in SentenceEnd().Matches(text))
        {
            yield return (start, boundary.Index);
            start = boundary.Index + boundary.Length;
        }
        if (start < text.Length)
        {
            yield return (start, text.Length);
        }
    }

    private static IEnumerable<(int Start, int End)> Lines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var newline = text.IndexOf('\n', start);
            var end = newline < 0 ? text.Length : newline;
            if (end > start)
            {
                yield return (start, end);
            }
            start = end + 1;
        }
    }

    [GeneratedRegex(@"(?<=[.!?…。])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"\S+")]
    private static partial Regex Word();
}
