using System.Diagnostics;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Model;
using Platform.Inference.Tokenization;
using TorchSharp;

namespace Platform.Inference.Serving;

/// <summary>Sizes of the serving benchmark (defaults match the issue's workload).</summary>
public sealed record ServingBenchOptions
{
    public int TokensPerStream { get; init; } = 32;
    public int PromptTokens { get; init; } = 16;
    public int[] Concurrency { get; init; } = [1, 8, 32, 64];
    public int MixedRequests { get; init; } = 48;
    public int MixedBatchSize { get; init; } = 8;
    public int MixedMinOutput { get; init; } = 16;
    public int MixedMaxOutput { get; init; } = 512;
    public int LoraRank { get; init; } = 16;
    public int PrefixTokens { get; init; } = 1000;
    public long KvCacheBytes { get; init; } = 1L << 30;
    public int Threads { get; init; }

    /// <summary>Tokens per KV block (the engine's default).</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Where the model runs (CPU when null).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>Repetitions of the short measurements (best run kept, to filter out other load on the machine).</summary>
    public int Repeats { get; init; } = 5;
}

/// <summary>
/// Measures the serving engine on a random-weight model: aggregate throughput by concurrency,
/// continuous vs static batching on a mixed workload, 8 different LoRA adapters vs the base model
/// in one batch, and time to first token with a warm vs cold shared prefix. All requests ignore EOS
/// so every run generates exactly the tokens asked for.
/// </summary>
public static class ServingBenchmark
{
    public static ServingBenchResult Run(LlamaConfig config, string name, ITextTokenizer tokenizer, ServingBenchOptions o, Action<string>? progress = null)
    {
        if (o.Threads > 0)
        {
            torch.set_num_threads(o.Threads);
        }
        var scratch = Directory.CreateTempSubdirectory("serving-bench-");
        try
        {
            using var model = new LoadedModel
            {
                Directory = scratch.FullName,
                Model = new LlamaForCausalLM(config, new RandomWeightSource(seed: 1234), o.Device),
                Tokenizer = tokenizer,
                Generation = new GenerationConfig(),
            };
            model.Model.eval();
            var adapterDir = Path.Combine(scratch.FullName, "adapters");
            WriteAdapters(config, adapterDir, 8, o.LoraRank);
            using var adapters = new AdapterRegistry(name, model.Model, a => Path.Combine(adapterDir, a), 8);
            using var engine = new ServingEngine(name, model, new ServingEngineOptions
            {
                KvCacheBytes = o.KvCacheBytes,
                Scheduler = new SchedulerOptions { MaxBatchedTokens = 512, PrefillChunk = 256, MaxRunningSequences = 64 },
            }, adapters);
            var random = new Random(42);
            progress?.Invoke("warm-up");
            RunAll(engine, [Request(random, config, o.PromptTokens, 8, "warm")]);

            var byConcurrency = new Dictionary<string, double>();
            var endToEndByConcurrency = new Dictionary<string, double>();
            var phasesByConcurrency = new Dictionary<string, Dictionary<string, double>>();
            foreach (var streams in o.Concurrency)
            {
                progress?.Invoke($"throughput with {streams} streams");
                var phasesBefore = engine.Stats.Phases;
                var runs = Enumerable.Range(0, o.Repeats).Select(round => RunAll(engine,
                    Enumerable.Range(0, streams).Select(i => Request(random, config, o.PromptTokens, o.TokensPerStream, $"c{streams}-{round}-{i}")).ToList())).ToList();
                var key = streams.ToString(System.Globalization.CultureInfo.InvariantCulture);
                phasesByConcurrency[key] = engine.Stats.Phases.Since(phasesBefore).MillisecondsPerForward();
                byConcurrency[key] = Math.Round(runs.Max(r => r.DecodeTokensPerSecond), 2);
                endToEndByConcurrency[key] = Math.Round(streams * o.TokensPerStream / runs.Min(r => r.Wall), 2);
            }

            progress?.Invoke("mixed workload, static then continuous");
            var mixed = Enumerable.Range(0, o.MixedRequests)
                .Select(i => Request(random, config, o.PromptTokens, random.Next(o.MixedMinOutput, o.MixedMaxOutput + 1), "m" + i)).ToList();
            var totalTokens = mixed.Sum(r => r.Parameters.MaxTokens);
            var (staticWall, staticLatencies) = Static(engine, mixed, o.MixedBatchSize);
            var (slotsWall, slotsLatencies) = Continuous(engine, mixed.Select(r => r with { CacheSalt = r.CacheSalt + "s" }).ToList(), o.MixedBatchSize);
            // Static batching must reserve every row's worst case (prompt + longest output) up front;
            // the paged engine gets exactly that much KV memory and admits by the blocks in use.
            var reservedBlocks = o.MixedBatchSize * (int)Math.Ceiling((o.PromptTokens + o.MixedMaxOutput) / (double)o.BlockSize);
            var (continuousWall, continuousLatencies, continuousPreemptions) = SameMemory(model, config, reservedBlocks, o,
                mixed.Select(r => r with { CacheSalt = r.CacheSalt + "c" }).ToList(), initialNewTokenRatio: null);
            // The same with the admission this device does not use by default (SchedulerOptions.ForDevice).
            var onCpu = model.Model.Device.type == DeviceType.CPU;
            var (otherWall, otherLatencies, otherPreemptions) = SameMemory(model, config, reservedBlocks, o,
                mixed.Select(r => r with { CacheSalt = r.CacheSalt + "o" }).ToList(), initialNewTokenRatio: onCpu ? 0 : SchedulerOptions.EstimatingRatio);

            progress?.Invoke("8 LoRA adapters vs base");
            var prompts = Enumerable.Range(0, 8).Select(i => Request(random, config, o.PromptTokens, o.TokensPerStream, "l" + i)).ToList();
            var withAdapters = prompts.Select((r, i) => r with { Adapter = "a" + i, CacheSalt = r.CacheSalt + "a" }).ToList();
            RunAll(engine, withAdapters.Select(r => r with { CacheSalt = "load", Parameters = r.Parameters with { MaxTokens = 1 } }).ToList());
            // Interleaved rounds, best of each, so a burst of other load hits both sides alike.
            double baseSeconds = double.MaxValue, loraSeconds = double.MaxValue;
            for (var round = 0; round < o.Repeats; round++)
            {
                baseSeconds = Math.Min(baseSeconds, RunAll(engine, prompts.Select(r => r with { CacheSalt = r.CacheSalt + round }).ToList()).Wall);
                loraSeconds = Math.Min(loraSeconds, RunAll(engine, withAdapters.Select(r => r with { CacheSalt = r.CacheSalt + round }).ToList()).Wall);
            }

            progress?.Invoke("shared-prefix time to first token");
            var (cold, warm) = PrefixTtft(engine, config, random, o.PrefixTokens);

            return new ServingBenchResult
            {
                Model = name,
                Device = TorchDevices.Describe(model.Model.Device),
                Threads = torch.get_num_threads(),
                KvBlocks = engine.TotalBlocks,
                TokensPerStream = o.TokensPerStream,
                Repeats = o.Repeats,
                ThroughputByConcurrency = byConcurrency,
                Throughput32Vs1 = Ratio(byConcurrency, "32", "1"),
                EndToEndThroughputByConcurrency = endToEndByConcurrency,
                StepPhasesByConcurrency = phasesByConcurrency,
                EndToEnd32Vs1 = Ratio(endToEndByConcurrency, "32", "1"),
                MixedRequests = o.MixedRequests,
                MixedBatchSize = o.MixedBatchSize,
                MixedOutputTokens = $"{o.MixedMinOutput}-{o.MixedMaxOutput} (total {totalTokens})",
                ContinuousThroughput = Math.Round(totalTokens / continuousWall, 2),
                StaticThroughput = Math.Round(totalTokens / staticWall, 2),
                ContinuousVsStaticThroughputRatio = Math.Round(staticWall / continuousWall, 3),
                ContinuousP50LatencySeconds = Math.Round(Median(continuousLatencies), 3),
                StaticP50LatencySeconds = Math.Round(Median(staticLatencies), 3),
                KvBlocksSameMemory = reservedBlocks,
                ContinuousPreemptions = continuousPreemptions,
                Admission = onCpu ? "estimating" : "optimistic",
                OtherAdmissionThroughput = Math.Round(totalTokens / otherWall, 2),
                OtherAdmissionVsStaticThroughputRatio = Math.Round(staticWall / otherWall, 3),
                OtherAdmissionP50LatencySeconds = Math.Round(Median(otherLatencies), 3),
                OtherAdmissionPreemptions = otherPreemptions,
                SameSlotsThroughput = Math.Round(totalTokens / slotsWall, 2),
                SameSlotsVsStaticThroughputRatio = Math.Round(staticWall / slotsWall, 3),
                SameSlotsP50LatencySeconds = Math.Round(Median(slotsLatencies), 3),
                Base8Seconds = Math.Round(baseSeconds, 3),
                Lora8Seconds = Math.Round(loraSeconds, 3),
                Lora8VsBaseTimeRatio = Math.Round(loraSeconds / baseSeconds, 3),
                PrefixTokens = o.PrefixTokens,
                PrefixColdTtftSeconds = Math.Round(cold, 4),
                PrefixWarmTtftSeconds = Math.Round(warm, 4),
                PrefixTtftSpeedup = Math.Round(cold / warm, 2),
            };
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static EngineRequest Request(Random random, LlamaConfig config, int promptTokens, int maxTokens, string salt) => new()
    {
        PromptTokens = Enumerable.Range(0, promptTokens).Select(_ => random.Next(3, config.VocabSize)).ToArray(),
        Parameters = new SamplingParameters { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true },
        CacheSalt = salt,
    };

    private static double Ratio(Dictionary<string, double> values, string over, string under) =>
        values.TryGetValue(over, out var a) && values.TryGetValue(under, out var b) && b > 0 ? Math.Round(a / b, 2) : 0;

    /// <summary>One concurrent run: wall time, and decode throughput (tokens after each first token, from the first first token to the last token).</summary>
    private sealed record ConcurrentRun(double Wall, double DecodeTokensPerSecond);

    private static ConcurrentRun RunAll(ServingEngine engine, IReadOnlyList<EngineRequest> requests)
    {
        var clock = Stopwatch.StartNew();
        var tasks = requests.Select(r => Timed(engine.Submit(r), clock)).ToArray();
        Task.WaitAll(tasks);
        var timings = tasks.Select(t => t.Result).ToList();
        var decodeTokens = timings.Sum(t => t.Tokens - 1);
        var window = timings.Max(t => t.Last) - timings.Min(t => t.First);
        return new ConcurrentRun(clock.Elapsed.TotalSeconds, window > 0 ? decodeTokens / window : 0);
    }

    /// <summary>
    /// Continuous batching under the memory static batching reserves: a second engine on the same
    /// model whose KV pool holds <paramref name="blocks"/> blocks; every request is submitted at once
    /// and the scheduler admits (and, when blocks run out, preempts) by the blocks actually in use.
    /// </summary>
    private static (double Wall, List<double> Latencies, long Preemptions) SameMemory(LoadedModel model, LlamaConfig config, int blocks,
        ServingBenchOptions o, IReadOnlyList<EngineRequest> requests, double? initialNewTokenRatio)
    {
        // PagedKvPool keeps one scratch block: ask for one more so exactly `blocks` are usable.
        var bytes = (blocks + 1) * PagedKvPool.BytesPerBlockFor(config, o.BlockSize);
        using var engine = new ServingEngine("same-memory", model, new ServingEngineOptions
        {
            KvCacheBytes = bytes,
            BlockSize = o.BlockSize,
            Scheduler = new SchedulerOptions
            {
                MaxBatchedTokens = 512,
                PrefillChunk = 256,
                MaxRunningSequences = 64,
                InitialNewTokenRatio = initialNewTokenRatio,
            },
        });
        var warmUp = requests[0] with { CacheSalt = "warm", Parameters = requests[0].Parameters with { MaxTokens = 8 } };
        Drain(engine.Submit(warmUp), Stopwatch.StartNew()).GetAwaiter().GetResult();
        var preemptionsBefore = engine.Stats.Preemptions;
        var clock = Stopwatch.StartNew();
        var tasks = requests.Select(r => Drain(engine.Submit(r), clock)).ToArray();
        Task.WaitAll(tasks);
        return (clock.Elapsed.TotalSeconds, tasks.Select(t => t.Result).ToList(), engine.Stats.Preemptions - preemptionsBefore);
    }

    /// <summary>
    /// Static batching as in a plain generate loop: each group of <paramref name="batch"/> runs
    /// until its longest member is done (every row computes that many tokens; only the requested
    /// ones are useful), results return together, and the next group starts after.
    /// </summary>
    private static (double Wall, List<double> Latencies) Static(ServingEngine engine, IReadOnlyList<EngineRequest> requests, int batch)
    {
        var clock = Stopwatch.StartNew();
        var latencies = new List<double>();
        foreach (var group in requests.Chunk(batch))
        {
            var longest = group.Max(r => r.Parameters.MaxTokens);
            var tasks = group.Select(r => Drain(engine.Submit(r with { Parameters = r.Parameters with { MaxTokens = longest } }), clock)).ToArray();
            Task.WaitAll(tasks);
            latencies.AddRange(Enumerable.Repeat(clock.Elapsed.TotalSeconds, group.Length));
        }
        return (clock.Elapsed.TotalSeconds, latencies);
    }

    /// <summary>At most <paramref name="batch"/> in flight; a finished request's place is taken at once.</summary>
    private static (double Wall, List<double> Latencies) Continuous(ServingEngine engine, IReadOnlyList<EngineRequest> requests, int batch)
    {
        var clock = Stopwatch.StartNew();
        using var slots = new SemaphoreSlim(batch);
        var tasks = requests.Select(async r =>
        {
            await slots.WaitAsync();
            try
            {
                return await Drain(engine.Submit(r), clock);
            }
            finally
            {
                slots.Release();
            }
        }).ToArray();
        Task.WaitAll(tasks);
        return (clock.Elapsed.TotalSeconds, tasks.Select(t => t.Result).ToList());
    }

    private static (double Cold, double Warm) PrefixTtft(ServingEngine engine, LlamaConfig config, Random random, int prefixTokens)
    {
        var cold = new List<double>();
        var warm = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var prefix = Enumerable.Range(0, prefixTokens).Select(_ => random.Next(3, config.VocabSize)).ToArray();
            int[] Prompt(int suffix) => [.. prefix, .. Enumerable.Range(0, 8).Select(i => 3 + (suffix * 8 + i) % (config.VocabSize - 3))];
            EngineRequest Make(int suffix) => new()
            {
                PromptTokens = Prompt(suffix),
                Parameters = new SamplingParameters { Temperature = 0, MaxTokens = 1, IgnoreEos = true },
                CacheSalt = "prefix" + round,
            };
            cold.Add(FirstToken(engine, Make(1)));
            warm.Add(FirstToken(engine, Make(2)));
        }
        return (Median(cold), Median(warm));
    }

    private static double FirstToken(ServingEngine engine, EngineRequest request)
    {
        var clock = Stopwatch.StartNew();
        return Drain(engine.Submit(request), clock, firstOnly: true).GetAwaiter().GetResult();
    }

    private static async Task<(double First, double Last, int Tokens)> Timed(SequenceHandle handle, Stopwatch clock)
    {
        double first = -1, last = 0;
        var tokens = 0;
        await foreach (var _ in handle.Outputs.ReadAllAsync())
        {
            last = clock.Elapsed.TotalSeconds;
            first = first < 0 ? last : first;
            tokens++;
        }
        return (first, last, tokens);
    }

    private static async Task<double> Drain(SequenceHandle handle, Stopwatch clock, bool firstOnly = false)
    {
        var first = -1.0;
        await foreach (var _ in handle.Outputs.ReadAllAsync())
        {
            if (first < 0)
            {
                first = clock.Elapsed.TotalSeconds;
            }
        }
        return firstOnly ? first : clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Random PEFT adapters a0..a{n-1} of rank <paramref name="rank"/> on q/k/v/o of every layer.</summary>
    private static void WriteAdapters(LlamaConfig config, string root, int count, int rank)
    {
        var generator = new torch.Generator(99);
        long hidden = config.HiddenSize, q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var shapes = new Dictionary<string, (long Out, long In)> { ["q_proj"] = (q, hidden), ["k_proj"] = (kv, hidden), ["v_proj"] = (kv, hidden), ["o_proj"] = (hidden, q) };
        for (var i = 0; i < count; i++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, "a" + i)).FullName;
            var tensors = new List<KeyValuePair<string, torch.Tensor>>();
            for (var layer = 0; layer < config.NumHiddenLayers; layer++)
            {
                foreach (var (module, (outFeatures, inFeatures)) in shapes)
                {
                    var key = $"base_model.model.model.layers.{layer}.self_attn.{module}";
                    tensors.Add(new(key + ".lora_A.weight", torch.randn([rank, inFeatures], generator: generator).mul_(0.01f)));
                    tensors.Add(new(key + ".lora_B.weight", torch.randn([outFeatures, rank], generator: generator).mul_(0.01f)));
                }
            }
            SafetensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), tensors);
            foreach (var t in tensors)
            {
                t.Value.Dispose();
            }
            File.WriteAllText(Path.Combine(dir, "adapter_config.json"),
                $"{{\"peft_type\":\"LORA\",\"r\":{rank},\"lora_alpha\":{rank * 2},\"target_modules\":[\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\"]}}");
        }
    }
}
