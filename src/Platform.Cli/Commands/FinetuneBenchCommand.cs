using System.Text.Json;
using Platform.Inference.Benchmarks;
using Platform.Inference.Training;

namespace Platform.Cli.Commands;

/// <summary>`./platform finetune-bench [--random 110m] [--seq 128] [--batch 2] [--steps 3] [--rank 8] [--json]`: LoRA vs full fine-tuning.</summary>
public sealed class FinetuneBenchCommand : ICommand
{
    public string Name => "finetune-bench";

    public string Summary => "training throughput and peak memory, LoRA vs full fine-tuning, random 110M model ([--json])";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json");
        var size = options.Get("random") ?? "110m";
        if (size != "110m")
        {
            throw new CommandLineError($"--random {size} is not a known shape; use --random 110m");
        }
        var seq = options.GetInt("seq", 128);
        var batch = options.GetInt("batch", 2);
        var steps = options.GetInt("steps", 3);
        var rank = options.GetInt("rank", 8);
        if (seq is < 8 or > 1024 || batch is < 1 or > 64 || steps is < 1 or > 100 || rank is < 1 or > 256)
        {
            throw new CommandLineError("--seq must be 8–1024, --batch 1–64, --steps 1–100, --rank 1–256");
        }
        var result = FinetuneBenchmark.Run(EngineBenchmark.Random110M, "random-110m", seq, batch, steps, rank, options.GetInt("threads", 0), EngineOptions.Device(options));
        if (options.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            Console.WriteLine($"LoRA r={rank}: {result.LoraTokensPerSecond} tok/s, peak {result.LoraPeakMemoryMb} MB, optimizer state {result.LoraOptimizerStateMb} MB");
            Console.WriteLine($"full      : {result.FullTokensPerSecond} tok/s, peak {result.FullPeakMemoryMb} MB, optimizer state {result.FullOptimizerStateMb} MB");
        }
        return Task.FromResult(0);
    }
}
