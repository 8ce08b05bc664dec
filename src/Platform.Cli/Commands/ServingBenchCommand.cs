using System.Text.Json;
using Platform.Inference.Benchmarks;
using Platform.Inference.Serving;
using Platform.Inference.Tokenization;
using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>`./platform serving-bench [--json]`: the serving engine under concurrency, static vs continuous batching, LoRA and prefix reuse.</summary>
public sealed class ServingBenchCommand : ICommand
{
    public string Name => "serving-bench";

    public string Summary => "benchmark continuous batching, multi-LoRA and prefix caching on a random 110M model ([--json])";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json");
        var size = options.Get("random") ?? "110m";
        if (size != "110m")
        {
            throw new CommandLineError($"--random {size} is not a known shape; use --random 110m");
        }
        var tokenizerDir = options.Get("tokenizer") ?? Path.Combine(RepoLayout.Find().TestDataDir, "models", "llama2-tokenizer");
        var bench = new ServingBenchOptions
        {
            TokensPerStream = Positive(options.GetInt("tokens", 32), "tokens"),
            MixedRequests = Positive(options.GetInt("mixed-requests", new ServingBenchOptions().MixedRequests), "mixed-requests"),
            MixedBatchSize = Positive(options.GetInt("mixed-batch", 8), "mixed-batch"),
            MixedMinOutput = Positive(options.GetInt("min-output", 16), "min-output"),
            MixedMaxOutput = Positive(options.GetInt("max-output", 512), "max-output"),
            PrefixTokens = Positive(options.GetInt("prefix", 1000), "prefix"),
            KvCacheBytes = Positive(options.GetInt("kv-mb", 1024), "kv-mb") * 1024L * 1024,
            Threads = options.GetInt("threads", 0),
            Repeats = Positive(options.GetInt("repeats", new ServingBenchOptions().Repeats), "repeats"),
            Device = EngineOptions.Device(options),
        };
        if (bench.MixedMinOutput > bench.MixedMaxOutput)
        {
            throw new CommandLineError("--min-output must not exceed --max-output");
        }
        var json = options.Has("json");
        var result = ServingBenchmark.Run(EngineBenchmark.Random110M, "random-110m", TokenizerFactory.FromModelDirectory(tokenizerDir), bench,
            json ? null : step => Console.WriteLine("… " + step));
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        }
        return Task.FromResult(0);
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new CommandLineError($"--{name} must be positive");
}
