using System.Diagnostics;
using Platform.Inference.Kernels;
using Platform.Inference.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Benchmarks;

/// <summary>
/// Measures a random-weight model on this machine: batch-1 decode over context 0–512, prefill of
/// a 512-token prompt, copy bandwidth and the bandwidth bound it implies.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>The 110M shape (llama2.c stories110M): dim 768, 12 layers, 12 heads (12 KV), hidden 2048, vocab 32000, tied head.</summary>
    public static LlamaConfig Random110M { get; } = new()
    {
        HiddenSize = 768,
        IntermediateSize = 2048,
        NumHiddenLayers = 12,
        NumAttentionHeads = 12,
        NumKeyValueHeads = 12,
        HeadDim = 64,
        VocabSize = 32000,
        MaxPositionEmbeddings = 1024,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = true,
    };

    /// <summary>Runs the benchmark; <paramref name="context"/> decode steps are timed after one warm-up pass.</summary>
    public static EngineBenchResult Run(LlamaConfig config, string name, int context = 512, int prefillLength = 512, int threads = 0,
        Device? device = null)
    {
        device ??= CPU;
        if (threads > 0)
        {
            set_num_threads(threads);
        }
        using var mode = inference_mode();
        using var model = new LlamaForCausalLM(config, new RandomWeightSource(seed: 1234), device);
        var weightBytes = WeightBytesPerToken(config);
        Decode(model, config, 32); // warm-up: allocator, kernels, rope tables
        var (decodeRate, byContext) = Decode(model, config, context);
        var prefillRate = Prefill(model, config, prefillLength);
        var bandwidth = CopyBandwidth(device);
        var bound = bandwidth / weightBytes;
        var matmulSeconds = MatmulOnlySeconds(config, device);
        var stepSeconds = 1.0 / byContext.Values.First();
        return new EngineBenchResult
        {
            Model = name,
            Device = TorchDevices.Describe(device),
            Parameters = config.ParameterCount,
            WeightBytesPerToken = weightBytes,
            Threads = get_num_threads(),
            DecodeTokensPerSecond = Math.Round(decodeRate, 2),
            DecodeByContext = byContext.ToDictionary(p => p.Key.ToString(), p => Math.Round(p.Value, 2)),
            PrefillTokensPerSecond = Math.Round(prefillRate, 1),
            CopyBandwidthGbPerSecond = Math.Round(bandwidth / 1e9, 2),
            BandwidthBoundTokensPerSecond = Math.Round(bound, 2),
            FractionOfBound = Math.Round(decodeRate / bound, 3),
            OverheadFraction = Math.Round(Math.Max(0, 1 - matmulSeconds / stepSeconds), 3),
            PeakMemoryMb = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
        };
    }

    /// <summary>Bytes of every weight matrix read once per decoded token (embedding row lookups excluded, lm_head included).</summary>
    public static long WeightBytesPerToken(LlamaConfig config)
    {
        var embeddingOnly = config.TieWordEmbeddings ? 0 : (long)config.VocabSize * config.HiddenSize;
        return (config.ParameterCount - embeddingOnly) * sizeof(float);
    }

    private static (double Rate, Dictionary<int, double> ByContext) Decode(LlamaForCausalLM model, LlamaConfig config, int steps)
    {
        using var cache = model.CreateCache(steps + 1);
        var byContext = new Dictionary<int, double>();
        var clock = Stopwatch.StartNew();
        var windowStart = clock.Elapsed;
        long token = 1;
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(tensor(new[] { token }, [1, 1]), cache: cache);
            token = logits.argmax(-1).item<long>() % config.VocabSize;
            if ((i + 1) % 128 == 0)
            {
                byContext[i + 1 - 128] = 128 / (clock.Elapsed - windowStart).TotalSeconds;
                windowStart = clock.Elapsed;
            }
        }
        return (steps / clock.Elapsed.TotalSeconds, byContext);
    }

    private static double Prefill(LlamaForCausalLM model, LlamaConfig config, int length)
    {
        var ids = Enumerable.Range(0, length).Select(i => (long)(i * 7919 % config.VocabSize)).ToArray();
        var best = double.MaxValue;
        for (var run = 0; run < 2; run++)
        {
            using var cache = model.CreateCache(length);
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            model.forward(tensor(ids, [1, length]), cache: cache, logitsToKeep: 1).argmax(-1).item<long>();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return length / best;
    }

    /// <summary>Copy bandwidth, STREAM convention (bytes read + bytes written per second), 512 MiB buffer, best of 5.</summary>
    public static double CopyBandwidth(Device? device = null)
    {
        device ??= CPU;
        using var scope = NewDisposeScope();
        var source = ones(128L * 1024 * 1024, ScalarType.Float32, device: device);
        var target = empty_like(source);
        target.copy_(source);
        TorchDevices.Synchronize(device);
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            target.copy_(source);
            TorchDevices.Synchronize(device);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * source.NumberOfElements * sizeof(float) / best;
    }

    // The same matrix-vector products a decode step performs, with nothing else around them.
    private static double MatmulOnlySeconds(LlamaConfig config, Device device)
    {
        using var scope = NewDisposeScope();
        long d = config.HiddenSize, q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var shapes = new List<(long Out, long In)>();
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            shapes.AddRange([(q, d), (kv, d), (kv, d), (d, q), (config.IntermediateSize, d), (config.IntermediateSize, d), (d, config.IntermediateSize)]);
        }
        shapes.Add((config.VocabSize, d));
        var weights = shapes.Select(s => randn(s.Out, s.In, device: device)).ToList();
        var inputs = shapes.Select(s => randn(1, s.In, device: device)).ToList();
        TorchDevices.Synchronize(device);
        var best = double.MaxValue;
        for (var run = 0; run < 5; run++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < weights.Count; i++)
            {
                CpuGemv.Linear(inputs[i], weights[i]).Dispose();
            }
            TorchDevices.Synchronize(device);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
