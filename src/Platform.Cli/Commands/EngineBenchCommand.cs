using System.Text.Json;
using Platform.Inference.Benchmarks;

namespace Platform.Cli.Commands;

/// <summary>`./platform engine-bench --random 110m [--json]`: decode/prefill throughput against the bandwidth bound.</summary>
public sealed class EngineBenchCommand : ICommand
{
    public string Name => "engine-bench";

    public string Summary => "benchmark the inference engine on a random-weight model (--random 110m [--device cuda] [--json])";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json", "no-cpu-gemv", "no-cpu-decode");
        var size = options.Get("random") ?? "110m";
        if (size != "110m")
        {
            throw new CommandLineError($"--random {size} is not a known shape; use --random 110m");
        }
        var context = options.GetInt("context", 512);
        if (context < 128 || context % 128 != 0)
        {
            throw new CommandLineError("--context must be a positive multiple of 128");
        }
        // --no-cpu-gemv: LibTorch's linear for batch-1 rows too, to compare with the kernel.
        Platform.Inference.Kernels.CpuGemv.Enabled = !options.Has("no-cpu-gemv");
        // --no-cpu-decode: the module path (one LibTorch operator per norm, rotation, attention) around the kernel.
        Platform.Inference.Kernels.CpuDecodeStep.Enabled = !options.Has("no-cpu-decode");
        var result = EngineBenchmark.Run(EngineBenchmark.Random110M, "random-110m", context,
            prefillLength: options.GetInt("prefill", 512), threads: options.GetInt("threads", 0), device: EngineOptions.Device(options));
        if (options.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            Console.WriteLine($"decode  {result.DecodeTokensPerSecond} tok/s (bound {result.BandwidthBoundTokensPerSecond}, {result.FractionOfBound:P0})");
            Console.WriteLine($"prefill {result.PrefillTokensPerSecond} tok/s; overhead {result.OverheadFraction:P0}; peak {result.PeakMemoryMb} MB");
        }
        return Task.FromResult(0);
    }
}
