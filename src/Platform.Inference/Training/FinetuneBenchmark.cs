using System.Diagnostics;
using System.Text.Json.Serialization;
using Platform.Inference.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>What <see cref="FinetuneBenchmark"/> measured.</summary>
public sealed record FinetuneBenchResult
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    [JsonPropertyName("threads")] public required int Threads { get; init; }
    [JsonPropertyName("sequence_length")] public required int SequenceLength { get; init; }
    [JsonPropertyName("batch_size")] public required int BatchSize { get; init; }
    [JsonPropertyName("timed_steps")] public required int TimedSteps { get; init; }
    [JsonPropertyName("lora_rank")] public required int LoraRank { get; init; }
    [JsonPropertyName("lora_trainable_parameters")] public required long LoraTrainableParameters { get; init; }
    [JsonPropertyName("lora_tokens_per_second")] public required double LoraTokensPerSecond { get; init; }
    [JsonPropertyName("lora_peak_memory_mb")] public required double LoraPeakMemoryMb { get; init; }
    [JsonPropertyName("lora_optimizer_state_mb")] public required double LoraOptimizerStateMb { get; init; }
    [JsonPropertyName("full_trainable_parameters")] public required long FullTrainableParameters { get; init; }
    [JsonPropertyName("full_tokens_per_second")] public required double FullTokensPerSecond { get; init; }
    [JsonPropertyName("full_peak_memory_mb")] public required double FullPeakMemoryMb { get; init; }
    [JsonPropertyName("full_optimizer_state_mb")] public required double FullOptimizerStateMb { get; init; }
    [JsonPropertyName("lora_over_full_tokens_per_second")] public required double SpeedRatio { get; init; }
    [JsonPropertyName("lora_over_full_peak_memory")] public required double MemoryRatio { get; init; }
    [JsonPropertyName("peak_memory_method")] public required string PeakMemoryMethod { get; init; }
}

/// <summary>
/// Training throughput and peak memory of LoRA (the trainer the service uses) against full
/// fine-tuning (every weight trainable, same AdamW) on the same random-weight model and data.
/// Peak memory is the process's peak resident set (VmHWM), reset between the two phases.
/// </summary>
public static class FinetuneBenchmark
{
    /// <summary>Runs both phases: one warm-up step each, then <paramref name="steps"/> timed steps.</summary>
    public static FinetuneBenchResult Run(LlamaConfig config, string name, int sequenceLength = 128, int batchSize = 2,
        int steps = 3, int rank = 8, int threads = 0, Device? device = null)
    {
        device ??= CPU;
        if (threads > 0)
        {
            set_num_threads(threads);
        }
        var random = new Random(1234);
        var examples = Enumerable.Range(0, batchSize * (steps + 1)).Select(_ =>
        {
            var ids = Enumerable.Range(0, sequenceLength).Select(_ => random.Next(config.VocabSize)).ToArray();
            return new TrainingExample(ids, Enumerable.Repeat(true, sequenceLength).ToArray());
        }).ToList();
        var tokens = (double)batchSize * sequenceLength * steps;

        var resettable = ResetPeak();
        double loraRate, loraState;
        long loraTrainable;
        using (var model = new LlamaForCausalLM(config, new RandomWeightSource(seed: 1234), device))
        using (var delta = LoraDelta.Create(model, new LoraSettings { Rank = rank, Alpha = 2 * rank }, seed: 1))
        using (var trainer = new LoraTrainer(model, delta, new TrainingSettings
        {
            Epochs = 1, BatchSize = batchSize, LearningRate = 1e-4, WarmupRatio = 0, EvalEvery = 0, CheckpointEvery = 0,
        }, examples))
        {
            trainer.TrainStep();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < steps; i++)
            {
                trainer.TrainStep();
            }
            TorchDevices.Synchronize(device);
            loraRate = tokens / clock.Elapsed.TotalSeconds;
            loraState = trainer.Optimizer.StateBytes;
            loraTrainable = delta.ParameterCount;
        }
        var loraPeak = PeakResidentBytes();
        GC.Collect();
        GC.WaitForPendingFinalizers();

        ResetPeak();
        double fullRate, fullState;
        long fullTrainable;
        using (var model = new LlamaForCausalLM(config, new RandomWeightSource(seed: 1234), device))
        {
            var parameters = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
            foreach (var (_, p) in parameters)
            {
                p.requires_grad_(true);
            }
            using var optimizer = new AdamW(parameters);
            FullStep(model, optimizer, examples.Take(batchSize).ToList());
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < steps; i++)
            {
                FullStep(model, optimizer, examples.Skip(batchSize * (i + 1)).Take(batchSize).ToList());
            }
            TorchDevices.Synchronize(device);
            fullRate = tokens / clock.Elapsed.TotalSeconds;
            fullState = optimizer.StateBytes;
            fullTrainable = parameters.Sum(p => p.Item2.NumberOfElements);
        }
        var fullPeak = PeakResidentBytes();
        return new FinetuneBenchResult
        {
            Model = name,
            Device = TorchDevices.Describe(device),
            Parameters = config.ParameterCount,
            Threads = get_num_threads(),
            SequenceLength = sequenceLength,
            BatchSize = batchSize,
            TimedSteps = steps,
            LoraRank = rank,
            LoraTrainableParameters = loraTrainable,
            LoraTokensPerSecond = Math.Round(loraRate, 1),
            LoraPeakMemoryMb = Mb(loraPeak),
            LoraOptimizerStateMb = Mb(loraState),
            FullTrainableParameters = fullTrainable,
            FullTokensPerSecond = Math.Round(fullRate, 1),
            FullPeakMemoryMb = Mb(fullPeak),
            FullOptimizerStateMb = Mb(fullState),
            SpeedRatio = Math.Round(loraRate / fullRate, 3),
            MemoryRatio = Math.Round(loraPeak / fullPeak, 3),
            PeakMemoryMethod = resettable ? "VmHWM, reset per phase" : "VmHWM (not resettable here: the full phase includes the LoRA phase's peak)",
        };
    }

    private static void FullStep(LlamaForCausalLM model, AdamW optimizer, List<TrainingExample> batch)
    {
        optimizer.ZeroGrad();
        var total = batch.Sum(e => e.InputIds.Length - 1);
        foreach (var example in batch)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(example.InputIds.Select(i => (long)i).ToArray(), [1, example.InputIds.Length]).to(model.Device);
            var logits = model.forward(ids.narrow(1, 0, ids.shape[1] - 1)).squeeze(0);
            var loss = nn.functional.cross_entropy(logits, ids.narrow(1, 1, ids.shape[1] - 1).squeeze(0), reduction: nn.Reduction.Sum).DividedBy(total);
            loss.backward();
        }
        optimizer.Step(1e-5);
    }

    private static double Mb(double bytes) => Math.Round(bytes / 1048576.0, 1);

    /// <summary>Resets the kernel's peak-RSS counter (Linux: write 5 to /proc/self/clear_refs); false where that is not possible.</summary>
    private static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double PeakResidentBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line[6..].Trim().Split(' ')[0], out var kb))
            {
                return kb * 1024.0;
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
