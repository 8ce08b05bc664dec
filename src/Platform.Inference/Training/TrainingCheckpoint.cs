using System.Text.Json;
using Platform.Inference.Checkpoints;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>What a checkpoint records besides tensors.</summary>
public sealed record TrainerState(int Step, int TotalSteps, long Seed, double? TrainLoss, double? ValidLoss);

/// <summary>
/// A resumable training checkpoint folder: the adapter in PEFT format (so a checkpoint is servable
/// too), <c>optimizer.safetensors</c> (AdamW moments) and <c>trainer_state.json</c> (the step, which
/// is the data position). Written to a temporary folder and renamed into place, so a crash leaves
/// either the whole checkpoint or none.
/// </summary>
public static class TrainingCheckpoint
{
    private const string OptimizerFile = "optimizer.safetensors";
    private const string StateFile = "trainer_state.json";

    /// <summary>Saves <paramref name="trainer"/>'s adapter, optimizer and position to <paramref name="directory"/>.</summary>
    public static TrainerState Save(string directory, LoraTrainer trainer, string baseModel, StepMetrics? last)
    {
        var state = new TrainerState(trainer.CompletedSteps, trainer.TotalSteps, trainer.Settings.Seed, last?.TrainLoss, last?.ValidLoss);
        var staging = directory + ".tmp";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        PeftAdapter.Save(staging, trainer.Delta, baseModel);
        SafetensorsWriter.Write(Path.Combine(staging, OptimizerFile), trainer.Optimizer.StateTensors);
        File.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(state with { }, JsonOptions));
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        Directory.Move(staging, directory);
        return state;
    }

    /// <summary>Restores adapter weights, optimizer moments and the step into <paramref name="trainer"/>.</summary>
    public static TrainerState Load(string directory, LoraTrainer trainer)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(directory, StateFile)), JsonOptions)
            ?? throw new ModelLoadException(Path.Combine(directory, StateFile), null, "empty trainer state");
        if (state.TotalSteps != trainer.TotalSteps || state.Seed != trainer.Settings.Seed)
        {
            throw new ModelLoadException(Path.Combine(directory, StateFile), "total_steps",
                "the checkpoint belongs to a run with different settings");
        }
        using var scope = NewDisposeScope();
        using (var file = SafetensorsFile.Open(Path.Combine(directory, PeftAdapter.WeightsFile)))
        using (no_grad())
        {
            foreach (var key in trainer.Delta.Keys)
            {
                trainer.Delta.A(key).copy_(file.ReadTensor(PeftAdapter.TensorName(key, "lora_A"), ScalarType.Float32));
                trainer.Delta.B(key).copy_(file.ReadTensor(PeftAdapter.TensorName(key, "lora_B"), ScalarType.Float32));
            }
            trainer.Delta.Tokens?.Rows.copy_(file.ReadTensor(PeftAdapter.TokensTensorName, ScalarType.Float32));
        }
        using (var file = SafetensorsFile.Open(Path.Combine(directory, OptimizerFile)))
        {
            var moments = file.Tensors.Keys.ToDictionary(n => n, n => file.ReadTensor(n, ScalarType.Float32), StringComparer.Ordinal);
            trainer.Optimizer.Load(moments, state.Step);
        }
        trainer.CompletedSteps = state.Step;
        return state;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
