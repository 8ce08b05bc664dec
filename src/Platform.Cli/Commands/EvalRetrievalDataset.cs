using System.Globalization;
using System.Text.Json;

namespace Platform.Cli.Commands;

/// <summary>A BEIR dataset folder: corpus.jsonl, queries.jsonl and qrels/&lt;split&gt;.tsv (test by default).</summary>
public sealed record EvalRetrievalDataset(
    IReadOnlyList<(string Id, string Title, string Text)> Corpus,
    IReadOnlyDictionary<string, string> Queries,
    IReadOnlyDictionary<string, Dictionary<string, int>> Qrels)
{
    public static EvalRetrievalDataset Load(string dir, string split = "test")
    {
        var qrelsFile = Path.Combine("qrels", split + ".tsv");
        foreach (var file in new[] { "corpus.jsonl", "queries.jsonl", qrelsFile })
        {
            if (!File.Exists(Path.Combine(dir, file)))
            {
                throw new CommandLineError($"{dir} is not a BEIR dataset folder: {file} is missing");
            }
        }
        var corpus = new List<(string, string, string)>();
        foreach (var line in File.ReadLines(Path.Combine(dir, "corpus.jsonl")).Where(l => l.Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            corpus.Add((Id(r), r.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "", r.GetProperty("text").GetString() ?? ""));
        }
        var queries = new Dictionary<string, string>();
        foreach (var line in File.ReadLines(Path.Combine(dir, "queries.jsonl")).Where(l => l.Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            queries[Id(doc.RootElement)] = doc.RootElement.GetProperty("text").GetString() ?? "";
        }
        var qrels = new Dictionary<string, Dictionary<string, int>>();
        foreach (var line in File.ReadLines(Path.Combine(dir, qrelsFile)).Skip(1))
        {
            var parts = line.TrimEnd('\r').Split('\t');
            if (parts.Length < 3 || !int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var score))
            {
                continue;
            }
            if (!qrels.TryGetValue(parts[0], out var rels))
            {
                qrels[parts[0]] = rels = [];
            }
            rels[parts[1]] = score;
        }
        return new EvalRetrievalDataset(corpus, queries, qrels);
    }

    /// <summary>
    /// The first <paramref name="limit"/> documents for a quick run: the relevant documents of the test
    /// queries first (in qrels order, up to half the limit), then other documents in corpus order; the
    /// queries kept are those with at least one relevant document in the slice.
    /// </summary>
    public EvalRetrievalDataset Slice(int limit)
    {
        var chosen = new HashSet<string>();
        foreach (var rels in Qrels.Values)
        {
            if (chosen.Count + rels.Count > limit / 2)
            {
                break;
            }
            chosen.UnionWith(rels.Keys);
        }
        foreach (var (id, _, _) in Corpus)
        {
            if (chosen.Count >= limit)
            {
                break;
            }
            chosen.Add(id);
        }
        var qrels = Qrels.Where(q => q.Value.Keys.Any(chosen.Contains))
            .ToDictionary(q => q.Key, q => q.Value.Where(r => chosen.Contains(r.Key)).ToDictionary(r => r.Key, r => r.Value));
        return new EvalRetrievalDataset(Corpus.Where(c => chosen.Contains(c.Id)).ToList(), Queries, qrels);
    }

    private static string Id(JsonElement r) => r.GetProperty("_id") is { ValueKind: JsonValueKind.Number } n ? n.GetRawText() : r.GetProperty("_id").GetString()!;
}
