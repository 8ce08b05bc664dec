using System.Diagnostics;
using System.Text;
using Npgsql;
using Platform.Data;
using Platform.Data.Migrations;
using Platform.Inference.Embeddings;
using Platform.Ingestion.Chunking;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Parsing;
using Platform.Ingestion.Storage;

namespace Platform.Ingestion.Benchmarks;

/// <summary>
/// Ingestion throughput (parse → chunk → embed → write, end to end, on generated Markdown) and
/// top-10 query latency and recall of HNSW against the exact scan at a given number of chunks.
/// Runs against the given database, which it migrates and fills; use a scratch one.
/// </summary>
public static class IngestBenchmark
{
    private static readonly string[] Words =
    [
        "turbine", "blade", "rotor", "gearbox", "bearing", "tower", "nacelle", "yaw", "pitch", "generator", "inverter", "grid", "voltage",
        "current", "frequency", "load", "wind", "speed", "sensor", "vibration", "temperature", "oil", "pressure", "maintenance", "inspection",
        "crack", "fatigue", "corrosion", "bolt", "torque", "cable", "transformer", "substation", "controller", "firmware", "alarm", "fault",
        "shutdown", "startup", "brake", "hydraulic", "pump", "filter", "lubrication", "schedule", "technician", "report", "safety", "harness",
        "crane", "weather", "storm", "ice", "lightning", "coating", "composite", "resin", "root", "tip", "leading", "edge", "erosion", "repair",
        "warranty", "supplier", "invoice", "budget", "forecast", "capacity", "output", "megawatt", "efficiency", "loss", "curtailment",
        "the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "after", "before", "during", "each", "every", "new", "old",
    ];

    /// <param name="Embedder">The lexical embedder of both the throughput and the index phase (default: the platform's default).</param>
    public sealed record Settings(int Documents = 200, int IndexChunks = 100_000, int Queries = 100, int EfSearch = 100, string? BertModelDir = null,
        int BertDocuments = 20, string Embedder = LexicalEmbedder.DefaultId, IReadOnlyList<int>? EfSweep = null);

    public static async Task<IngestBenchResult> RunAsync(NpgsqlDataSource dataSource, Settings settings, TextWriter progress, CancellationToken ct)
    {
        await Migrator.ApplyAsync(dataSource, "ingestion", ct);
        var database = await ScalarAsync(dataSource, "SELECT version()", ct);
        var tenant = Guid.NewGuid();
        var kbs = new KnowledgeBaseStore(dataSource);
        var writer = new ChunkWriter();
        var lexical = LexicalEmbedder.FromId(settings.Embedder)
            ?? throw new ArgumentException($"{settings.Embedder} is not a lexical embedder id (platform-lexical-v1|v2[-dimensions])", nameof(settings));
        await VectorIndexes.EnsureAsync(dataSource, lexical.Dimensions, ct);
        var index = VectorIndexes.Name(lexical.Dimensions);
        var random = new Random(42);

        // 1. End-to-end throughput with the lexical embedder.
        var kb = (await kbs.CreateAsync(tenant, "throughput", null, lexical.Id, lexical.Dimensions, 256, 32, ct))!;
        var (chunks, seconds) = await IngestAsync(dataSource, tenant, kb.Id, lexical, settings.Documents, random, writer, ct);
        progress.WriteLine($"lexical: {chunks} chunks in {seconds:F1} s");

        string? bertId = null;
        int? bertChunks = null;
        double? bertRate = null;
        if (settings.BertModelDir is not null)
        {
            using var bert = SentenceTransformer.Load(settings.BertModelDir);
            await VectorIndexes.EnsureAsync(dataSource, bert.Dimensions, ct);
            var bertKb = (await kbs.CreateAsync(tenant, "bert", null, bert.Id, bert.Dimensions, Math.Min(256, bert.MaxInputTokens), 32, ct))!;
            var (n, s) = await IngestAsync(dataSource, tenant, bertKb.Id, bert, settings.BertDocuments, random, writer, ct);
            (bertId, bertChunks, bertRate) = (bert.Id, n, Math.Round(n / s, 1));
            progress.WriteLine($"bert: {n} chunks in {s:F1} s");
        }

        // 2. An index of IndexChunks lexical vectors, HNSW built after the load (as a bulk load should).
        var indexKb = (await kbs.CreateAsync(tenant, "index", null, lexical.Id, lexical.Dimensions, 256, 32, ct))!;
        await ExecAsync(dataSource, $"DROP INDEX IF EXISTS ingestion.{index}", ct);
        var loaded = 0;
        while (loaded < settings.IndexChunks)
        {
            var batch = Math.Min(2000, settings.IndexChunks - loaded);
            var texts = Enumerable.Range(0, batch).Select(_ => Sentence(random, 12 + random.Next(12))).ToList();
            var list = texts.Select((t, i) => new Chunk(i, t, lexical.CountTokens(t), null, null, [], 0, t.Length)).ToList();
            var vectors = lexical.Embed(texts, ct);
            await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
            var doc = await AddDocumentAsync(scope, indexKb.Id, ct);
            await writer.ReplaceAsync(scope, indexKb.Id, doc, list, vectors, ct);
            await scope.CommitAsync(ct);
            loaded += batch;
            progress.WriteLine($"loaded {loaded}");
        }
        var build = Stopwatch.StartNew();
        await ExecAsync(dataSource, "SET maintenance_work_mem = '512MB'", ct);
        await ExecAsync(dataSource,
            $"CREATE INDEX {index} ON ingestion.chunks USING hnsw ((embedding::vector({lexical.Dimensions})) vector_cosine_ops) WHERE dimensions = {lexical.Dimensions}", ct);
        build.Stop();
        progress.WriteLine($"hnsw built in {build.Elapsed.TotalSeconds:F1} s");

        await ExecAsync(dataSource, "ANALYZE ingestion.chunks", ct);
        string plan;
        await using (var scope = await TenantScope.BeginAsync(dataSource, tenant, ct))
        {
            plan = await ChunkSearch.ExplainNearestAsync(scope, [indexKb.Id], lexical.Embed(["plan"], ct)[0], 10, new VectorSearchOptions(false, settings.EfSearch), ct: ct);
        }
        progress.WriteLine(plan);

        // 3. Queries: HNSW vs exact, same query vectors.
        var hnsw = new List<double>();
        var exact = new List<double>();
        var recall = 0.0;
        var recallById = 0.0;
        var queries = new List<(float[] Vector, double KthScore)>();
        for (var q = 0; q < settings.Queries; q++)
        {
            var vector = lexical.Embed([Sentence(random, 6)], ct)[0];
            await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
            var sw = Stopwatch.StartNew();
            var approximate = await ChunkSearch.NearestAsync(scope, [indexKb.Id], vector, 10, new VectorSearchOptions(false, settings.EfSearch), ct: ct);
            hnsw.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            var truth = await ChunkSearch.NearestAsync(scope, [indexKb.Id], vector, 10, new VectorSearchOptions(true), ct: ct);
            exact.Add(sw.Elapsed.TotalMilliseconds);
            recallById += truth.Count == 0 ? 1 : (double)approximate.Select(h => h.Chunk.Id).Intersect(truth.Select(h => h.Chunk.Id)).Count() / truth.Count;
            // ann-benchmarks' k-NN recall: a result counts when it is no farther than the true k-th
            // neighbour (+1e-3), so exact distance ties at the boundary are not counted as misses.
            var kthScore = truth.Count == 0 ? 1 : truth[^1].Score;
            recall += truth.Count == 0 ? 1 : (double)Math.Min(truth.Count, approximate.Count(h => h.Score >= kthScore - 1e-3)) / truth.Count;
            queries.Add((vector, truth.Count == 0 ? double.NaN : kthScore));
        }
        var sweep = new List<EfSweepPoint>();
        foreach (var ef in settings.EfSweep ?? [])
        {
            sweep.Add(await SweepAsync(dataSource, tenant, indexKb.Id, queries, ef, ct));
            progress.WriteLine($"ef_search {ef}: {sweep[^1]}");
        }
        var p50 = Percentile(hnsw, 0.5);
        var exactP50 = Percentile(exact, 0.5);
        return new IngestBenchResult(database, lexical.Id, lexical.Dimensions, settings.Documents, chunks, Math.Round(chunks / seconds, 1), bertId, bertChunks, bertRate,
            settings.IndexChunks, Math.Round(build.Elapsed.TotalSeconds, 1), settings.Queries, settings.EfSearch,
            Math.Round(p50, 2), Math.Round(Percentile(hnsw, 0.99), 2), Math.Round(exactP50, 2), Math.Round(Percentile(exact, 0.99), 2),
            Math.Round(exactP50 / p50, 1), Math.Round(recall / settings.Queries, 3), Math.Round(recallById / settings.Queries, 3), plan.Contains(index, StringComparison.Ordinal))
        {
            EfSweep = sweep,
        };
    }

    // The same queries at another ef_search, against the truth already computed by the exact scan.
    private static async Task<EfSweepPoint> SweepAsync(NpgsqlDataSource dataSource, Guid tenant, Guid kb,
        List<(float[] Vector, double KthScore)> queries, int ef, CancellationToken ct)
    {
        var latencies = new List<double>();
        var recall = 0.0;
        foreach (var (vector, kthScore) in queries)
        {
            await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
            var sw = Stopwatch.StartNew();
            var approximate = await ChunkSearch.NearestAsync(scope, [kb], vector, 10, new VectorSearchOptions(false, ef), ct: ct);
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            recall += double.IsNaN(kthScore) ? 1 : Math.Min(10, approximate.Count(h => h.Score >= kthScore - 1e-3)) / 10.0;
        }
        return new EfSweepPoint(ef, Math.Round(Percentile(latencies, 0.5), 2), Math.Round(Percentile(latencies, 0.99), 2),
            Math.Round(recall / queries.Count, 3));
    }

    private static async Task<(int Chunks, double Seconds)> IngestAsync(NpgsqlDataSource dataSource, Guid tenant, Guid kb, IEmbeddingModel model,
        int documents, Random random, ChunkWriter writer, CancellationToken ct)
    {
        var parsers = new DocumentParsers();
        var texts = Enumerable.Range(0, documents).Select(_ => Encoding.UTF8.GetBytes(Markdown(random))).ToList();
        var total = 0;
        var sw = Stopwatch.StartNew();
        foreach (var bytes in texts)
        {
            var parsed = parsers.Parse("doc.md", bytes, ParseLimits.Default);
            var chunked = new StructuredChunker(model.CountTokens).Chunk(parsed, new ChunkingOptions(Math.Min(256, model.MaxInputTokens), 32));
            var vectors = new List<float[]>();
            foreach (var batch in chunked.Chunks.Chunk(32))
            {
                vectors.AddRange(model.Embed(batch.Select(c => c.Content).ToList(), ct));
            }
            await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
            var doc = await AddDocumentAsync(scope, kb, ct);
            await writer.ReplaceAsync(scope, kb, doc, chunked.Chunks, vectors, ct);
            await scope.CommitAsync(ct);
            total += chunked.Chunks.Count;
        }
        return (total, sw.Elapsed.TotalSeconds);
    }

    private static async Task<Guid> AddDocumentAsync(TenantScope scope, Guid kb, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        await using var cmd = scope.CreateCommand("""
            INSERT INTO ingestion.documents (id, tenant_id, knowledge_base_id, file_name, size_bytes, content_hash, status)
            VALUES (@id, @tenant, @kb, 'bench.md', 0, @id::text, 'ready')
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("tenant", scope.TenantId);
        cmd.Parameters.AddWithValue("kb", kb);
        await cmd.ExecuteNonQueryAsync(ct);
        return id;
    }

    /// <summary>About 1,500 words of Markdown: sections with paragraphs, a list and a code block.</summary>
    private static string Markdown(Random random)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(Sentence(random, 4)).Append("\n\n");
        for (var section = 0; section < 6; section++)
        {
            sb.Append("## ").Append(Sentence(random, 3)).Append("\n\n");
            for (var p = 0; p < 4; p++)
            {
                for (var s = 0; s < 4; s++)
                {
                    sb.Append(Sentence(random, 10 + random.Next(10))).Append(". ");
                }
                sb.Append("\n\n");
            }
            sb.Append("- ").Append(Sentence(random, 6)).Append("\n- ").Append(Sentence(random, 6)).Append("\n\n");
            sb.Append("```\nset ").Append(Sentence(random, 3)).Append(" = 42\n```\n\n");
        }
        return sb.ToString();
    }

    private static string Sentence(Random random, int words) => string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)]));

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static async Task ExecAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<string> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        return (await cmd.ExecuteScalarAsync(ct))?.ToString() ?? "";
    }
}
