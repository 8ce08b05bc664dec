extern alias cli;

using System.Text.Json;
using cli::Platform.Cli.Commands;
using Xunit.Abstractions;

namespace Platform.Rag.Tests;

/// <summary>
/// `./platform eval-retrieval` end to end on a tiny BEIR-layout dataset written here: the command's own code
/// starts its scratch PGlite and Redis and the built Ingestion and Rag hosts, ingests the corpus through the
/// upload API and scores every judged query through /v1/rag/search in all three modes.
/// </summary>
public sealed class EvalRetrievalSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataset = Directory.CreateTempSubdirectory("beir-tiny-").FullName;

    public void Dispose() => Directory.Delete(_dataset, recursive: true);

    [Fact]
    public async Task All_modes_print_the_beir_metrics_as_json_and_score_exact_matches_1_and_an_unmatched_relevant_document_0_in_full_text()
    {
        WriteDataset();
        using var writer = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var exit = await new EvalRetrievalCommand().RunAsync(["--dataset", _dataset, "--mode", "all", "--json"], writer, timeout.Token);

        output.WriteLine(writer.ToString());
        Assert.Equal(0, exit);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var results = lines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("mode").GetString()!);
        Assert.Equal(["fulltext", "hybrid", "vector"], results.Keys.Order());
        foreach (var (mode, r) in results)
        {
            // q1–q3 are judged and asked; q5 is judged but has no query text, q6 is asked but not judged: neither counts.
            Assert.Equal(4, r.GetProperty("queries").GetInt32());
            Assert.Equal(5, r.GetProperty("documents").GetInt32());
            Assert.Equal("test", r.GetProperty("split").GetString());
            foreach (var metric in new[] { "ndcg_at_10", "recall_at_100", "mrr_at_10" })
            {
                Assert.InRange(r.GetProperty(metric).GetDouble(), 0, 1);
            }
        }
        // Three queries are the text of their one relevant document (first everywhere, reciprocal rank 1); q4's relevant
        // document shares no word with it, so full text never finds it (0) while the vector leg ranks every chunk (2nd–5th).
        var fulltext = results["fulltext"];
        Assert.Equal(0.75, fulltext.GetProperty("mrr_at_10").GetDouble());
        Assert.Equal(0.75, fulltext.GetProperty("ndcg_at_10").GetDouble());
        Assert.Equal(0.75, fulltext.GetProperty("recall_at_100").GetDouble());
        foreach (var mode in new[] { "vector", "hybrid" })
        {
            Assert.Equal(1, results[mode].GetProperty("recall_at_100").GetDouble());
            Assert.InRange(results[mode].GetProperty("mrr_at_10").GetDouble(), 0.75 + 0.2 / 4 - 1e-9, 0.75 + 0.5 / 4 + 1e-9);
        }
    }

    private void WriteDataset()
    {
        string[] corpus =
        [
            """{"_id":"d1","title":"Volcanoes","text":"Mount Etna in Sicily erupts basaltic lava almost every year."}""",
            """{"_id":"d2","title":"Sourdough","text":"Wild yeast in the starter ferments the flour and the bread rises."}""",
            """{"_id":"d3","title":"Danube","text":"The Danube flows through ten countries from the Black Forest to the Black Sea."}""",
            """{"_id":"d4","title":"Honeybees","text":"Honeybees dance to tell the hive where the flowers with nectar are."}""",
            """{"_id":"d5","title":"Glaciers","text":"Glaciers carve valleys as the ice slowly moves downhill."}""",
        ];
        string[] queries =
        [
            """{"_id":"q1","text":"Mount Etna in Sicily erupts basaltic lava almost every year."}""",
            """{"_id":"q2","text":"Wild yeast in the starter ferments the flour and the bread rises."}""",
            """{"_id":"q3","text":"Honeybees dance to tell the hive where the flowers with nectar are."}""",
            """{"_id":"q4","text":"Which glaciers carve valleys?"}""",
            """{"_id":"q6","text":"Not judged"}""",
        ];
        File.WriteAllLines(Path.Combine(_dataset, "corpus.jsonl"), corpus);
        File.WriteAllLines(Path.Combine(_dataset, "queries.jsonl"), queries);
        Directory.CreateDirectory(Path.Combine(_dataset, "qrels"));
        File.WriteAllLines(Path.Combine(_dataset, "qrels", "test.tsv"),
            ["query-id\tcorpus-id\tscore", "q1\td1\t1", "q2\td2\t1", "q3\td4\t1", "q4\td3\t1", "q5\td5\t1"]);
    }
}
