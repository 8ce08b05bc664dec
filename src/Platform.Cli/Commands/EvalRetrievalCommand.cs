using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.LocalInfra;
using Platform.ServiceDefaults.Identity;

namespace Platform.Cli.Commands;

/// <summary>
/// `./platform eval-retrieval --dataset DIR [--mode hybrid|vector|fulltext|all] [--split test|train] [--limit-docs N]
/// [--fusion relative_score,rrf] [--alpha 0.1,0.2] [--rrf-k 60] [--mmr-lambda 1,0.8] [--json]`:
/// starts a scratch PostgreSQL (PGlite) and Redis, runs the built Ingestion and Rag hosts on free
/// ports, ingests the BEIR corpus into a scratch tenant through Ingestion's upload API, and scores
/// every query of the split sent to Rag's /v1/rag/search. Without the tuning options hybrid runs
/// with the service's own defaults; with them (comma lists), one hybrid run per combination, all on
/// the one ingested corpus — the sweep behind the defaults.
/// </summary>
public sealed class EvalRetrievalCommand : ICommand
{
    public string Name => "eval-retrieval";

    public string Summary => "nDCG@10, recall@100, MRR@10 of /v1/rag/search on a BEIR dataset (--dataset DIR [--mode all] [--split train] [--alpha 0.1,0.2] [--json])";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken) => RunAsync(args, Console.Out, cancellationToken);

    /// <summary>Runs the command, writing the result lines (and, without --json, the progress) to <paramref name="output"/>.</summary>
    public async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json");
        var splits = (options.Get("split") ?? "test").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (splits.Length == 0 || splits.Any(s => s.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))))
        {
            throw new CommandLineError("--split must name qrels files, e.g. test or train,test");
        }
        var dir = options.Require("dataset");
        var dataset = EvalRetrievalDataset.Load(dir, splits[0]);
        var mode = options.Get("mode") ?? "hybrid";
        string[] modes = mode == "all" ? ["vector", "fulltext", "hybrid"] : [mode];
        if (modes.Any(m => m is not ("hybrid" or "vector" or "fulltext")))
        {
            throw new CommandLineError("--mode must be hybrid, vector, fulltext or all");
        }
        var limit = options.GetInt("limit-docs", 0);
        if (limit > 0 && splits.Length > 1)
        {
            throw new CommandLineError("--limit-docs takes one --split (each split would keep other documents)");
        }
        if (limit > 0)
        {
            dataset = dataset.Slice(limit);
        }
        var variants = EvalRetrievalVariant.Parse(options);
        var json = options.Has("json");
        void Progress(string message)
        {
            if (!json)
            {
                output.WriteLine(message);
            }
            else
            {
                Console.Error.WriteLine(message);
            }
        }

        await using var stack = await EvalRetrievalStack.StartAsync(RepoLayout.Find(), Progress, cancellationToken);
        var tenant = Guid.NewGuid();
        using var ingestion = stack.Client(stack.IngestionUrl, tenant);
        using var rag = stack.Client(stack.RagUrl, tenant);

        var kb = await CreateKnowledgeBaseAsync(ingestion, cancellationToken);
        var started = DateTime.UtcNow;
        await UploadAsync(ingestion, kb, dataset, Progress, cancellationToken);
        await WaitReadyAsync(ingestion, kb, dataset.Corpus.Count, Progress, cancellationToken);
        Progress($"ingested {dataset.Corpus.Count} documents in {(DateTime.UtcNow - started).TotalSeconds:F0} s");

        var runs = modes.SelectMany(m => m == "hybrid" ? variants.Select(v => (Mode: m, Variant: v)) : [(m, EvalRetrievalVariant.Defaults)]).ToList();
        foreach (var split in splits)
        {
            var judged = split == splits[0] ? dataset : EvalRetrievalDataset.Load(dir, split);
            foreach (var (m, variant) in runs)
            {
                var runStarted = DateTime.UtcNow;
                var result = await ScoreAsync(rag, kb, judged, m, variant, cancellationToken);
                result["documents"] = dataset.Corpus.Count;
                result["split"] = split;
                Progress($"{split} {m} {string.Join(' ', variant.Describe().Select(d => $"{d.Key}={d.Value}"))}: {(DateTime.UtcNow - runStarted).TotalSeconds:F0} s");
                output.WriteLine(json ? JsonSerializer.Serialize(result) : string.Join("  ", result.Select(r => $"{r.Key}={Convert.ToString(r.Value, CultureInfo.InvariantCulture)}")));
            }
        }
        return 0;
    }

    /// <summary>Every judged query of <paramref name="judged"/> through /v1/rag/search, averaged (BEIR metrics).</summary>
    private static async Task<Dictionary<string, object>> ScoreAsync(HttpClient rag, Guid kb, EvalRetrievalDataset judged, string mode,
        EvalRetrievalVariant variant, CancellationToken ct)
    {
        var (ndcg, recall, mrr, count) = (0.0, 0.0, 0.0, 0);
        foreach (var (queryId, relevance) in judged.Qrels)
        {
            if (!judged.Queries.TryGetValue(queryId, out var text))
            {
                continue;
            }
            var ranking = await SearchAsync(rag, variant.Request(kb, text, mode), ct);
            ndcg += EvalRetrievalMetrics.NdcgAt(ranking, relevance, 10);
            recall += EvalRetrievalMetrics.RecallAt(ranking, relevance, 100);
            mrr += EvalRetrievalMetrics.MrrAt(ranking, relevance, 10);
            count++;
        }
        var result = new Dictionary<string, object>
        {
            ["ndcg_at_10"] = Math.Round(count == 0 ? 0 : ndcg / count, 4),
            ["recall_at_100"] = Math.Round(count == 0 ? 0 : recall / count, 4),
            ["mrr_at_10"] = Math.Round(count == 0 ? 0 : mrr / count, 4),
            ["queries"] = count,
            ["mode"] = mode,
        };
        foreach (var (key, value) in variant.Describe())
        {
            result[key] = value;
        }
        return result;
    }

    private static async Task<Guid> CreateKnowledgeBaseAsync(HttpClient ingestion, CancellationToken ct)
    {
        using var response = await ingestion.PostAsJsonAsync("v1/knowledge-bases", new { name = "eval-" + Guid.NewGuid().ToString("N")[..8] }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating the knowledge base failed: {(int)response.StatusCode} {body}");
        }
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>One text file per corpus document, named by its id: search results map back through the file name.</summary>
    private static async Task UploadAsync(HttpClient ingestion, Guid kb, EvalRetrievalDataset dataset, Action<string> progress, CancellationToken ct)
    {
        var done = 0;
        await Parallel.ForEachAsync(dataset.Corpus, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (doc, token) =>
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(doc.Title + "\n\n" + doc.Text)), "file", doc.Id + ".txt");
            using var response = await ingestion.PostAsync($"v1/knowledge-bases/{kb}/documents", form, token);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"uploading {doc.Id} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
            }
            if (Interlocked.Increment(ref done) % 500 == 0)
            {
                progress($"uploaded {done}/{dataset.Corpus.Count}");
            }
        });
    }

    private static async Task WaitReadyAsync(HttpClient ingestion, Guid kb, int expected, Action<string> progress, CancellationToken ct)
    {
        var last = -1;
        while (true)
        {
            var list = await ingestion.GetFromJsonAsync<JsonElement>($"v1/knowledge-bases/{kb}/documents", ct);
            var statuses = list.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("status").GetString()).ToList();
            var failed = statuses.Count(s => s == "failed");
            if (failed > 0)
            {
                throw new InvalidOperationException($"{failed} documents failed to ingest");
            }
            var ready = statuses.Count(s => s == "ready");
            if (ready >= expected)
            {
                return;
            }
            if (ready / 500 != last / 500)
            {
                progress($"ready {ready}/{expected}");
            }
            last = ready;
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    private static async Task<IReadOnlyList<string>> SearchAsync(HttpClient rag, Dictionary<string, object> request, CancellationToken ct)
    {
        using var response = await rag.PostAsJsonAsync("v1/rag/search", request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"search failed: {(int)response.StatusCode} {body}");
        }
        return EvalRetrievalMetrics.DocumentRanking(JsonDocument.Parse(body).RootElement.GetProperty("data").EnumerateArray()
            .Select(c => Path.GetFileNameWithoutExtension(c.GetProperty("title").GetString() ?? "")));
    }
}
