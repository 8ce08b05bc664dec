using System.Text.Json;
using Platform.Data;
using Platform.Inference.Embeddings;
using Platform.Ingestion.Benchmarks;
using Platform.Ingestion.Embeddings;
using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>`./platform ingest-bench [--json]`: ingestion throughput and HNSW vs exact top-10 latency and recall on a scratch embedded database.</summary>
public sealed class IngestBenchCommand : ICommand
{
    public string Name => "ingest-bench";

    public string Summary => "benchmark ingestion and vector search on a scratch database ([--chunks 100000] [--embedder ID] [--ef-sweep 40,64,100] [--model DIR] [--json])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json");
        var settings = new IngestBenchmark.Settings(
            Documents: options.GetInt("documents", 200),
            IndexChunks: options.GetInt("chunks", 100_000),
            Queries: options.GetInt("queries", 100),
            EfSearch: options.GetInt("ef-search", 100),
            BertModelDir: options.Get("model"),
            BertDocuments: options.GetInt("bert-documents", 20),
            Embedder: options.Get("embedder") ?? LexicalEmbedder.DefaultId,
            EfSweep: EfSweep(options.Get("ef-sweep")));
        if (settings.Documents < 1 || settings.IndexChunks < 10 || settings.Queries < 1 || settings.EfSearch < 10)
        {
            throw new CommandLineError("--documents and --queries must be at least 1, --chunks at least 10 and --ef-search at least 10");
        }
        if (LexicalEmbedder.FromId(settings.Embedder) is null)
        {
            throw new CommandLineError($"--embedder {settings.Embedder}: not a lexical embedder id (platform-lexical-v1, platform-lexical-v2, optionally -<dimensions>)");
        }
        if (settings.BertModelDir is { } dir && !Directory.Exists(dir))
        {
            throw new CommandLineError($"--model {dir}: no such folder");
        }
        var repo = RepoLayout.Find(Directory.GetCurrentDirectory());
        var port = Ports.GetFree();
        // A scratch in-memory PostgreSQL, never the platform's own database.
        await using var postgres = await EmbeddedPostgres.StartAsync(repo, port, dataDir: null,
            logPath: Path.Combine(repo.StateDir, "bench-logs", $"pglite-{port}.log"), exitWithParent: true, cancellationToken);
        await using var dataSource = PlatformDataSource.Create(postgres.ConnectionString + ";Command Timeout=0", "ingest-bench");
        var progress = options.Has("json") ? TextWriter.Null : Console.Out;
        var result = await IngestBenchmark.RunAsync(dataSource, settings, progress, cancellationToken);
        Console.WriteLine(options.Has("json")
            ? JsonSerializer.Serialize(result)
            : $"{result.ChunksPerSecond} chunks/s; HNSW top-10 p50 {result.QueryP50Ms} ms p99 {result.QueryP99Ms} ms (exact p50 {result.ExactP50Ms} ms), recall@10 {result.HnswRecallAt10}");
        return 0;
    }

    private static int[] EfSweep(string? list)
    {
        if (list is null)
        {
            return [];
        }
        var values = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return values.Select(v => int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var ef) && ef is >= 10 and <= 1000
            ? ef
            : throw new CommandLineError($"--ef-sweep: '{v}' is not an ef_search between 10 and 1000")).ToArray();
    }
}
