using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Training;

namespace Platform.Inference.Tests.Training;

/// <summary>The proof on stories260K: the adapter learns the pattern, round-trips as PEFT files and equals merged weights.</summary>
public sealed class LoraTrainingTests
{
    private static readonly TrainingSettings Settings = new()
    {
        Epochs = 4, BatchSize = 4, LearningRate = 1e-2, Seed = 7, EvalEvery = 10, CheckpointEvery = 0,
    };

    private static readonly LoraSettings Lora = new() { Rank = 8, Alpha = 16, Dropout = 0.05 };

    [Fact]
    public void Adapter_learns_the_pattern_and_round_trips_through_peft_files()
    {
        using var temp = new TempDirectory();
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        var encoder = new ExampleEncoder(loaded.Tokenizer, loaded.ChatTemplate);
        var train = Validate(PatternDataset.Jsonl(0, 48), encoder);
        var validation = Validate(PatternDataset.Jsonl(48, 60), encoder);
        var heldOut = PatternDataset.Prompt(61);
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 24 };
        var prompt = loaded.Tokenizer.Encode(heldOut);
        var baseText = loaded.CreateGenerator().Complete(prompt, greedy).Text;

        using var delta = LoraDelta.Create(loaded.Model, Lora, Settings.Seed);
        double before, after;
        using (var trainer = new LoraTrainer(loaded.Model, delta, Settings, train.Examples, validation.Examples))
        {
            before = trainer.ValidationLoss()!.Value;
            var last = trainer.RunToEnd();
            after = last!.ValidLoss!.Value;
        }
        Assert.True(after <= 0.7 * before, $"validation loss {before:F3} → {after:F3} fell less than 30%");

        loaded.Model.SetLowRankDelta(delta);
        var adaptedText = loaded.CreateGenerator().Complete(prompt, greedy).Text;
        loaded.Model.SetLowRankDelta(null);
        Assert.Contains("purple moon", adaptedText, StringComparison.Ordinal);
        Assert.DoesNotContain("purple moon", baseText, StringComparison.Ordinal);

        var adapterDir = Path.Combine(temp.Path, "adapter");
        PeftAdapter.Save(adapterDir, delta, "stories260K");
        PeftFiles.AssertPlainPeft(adapterDir, loaded.Model, Lora);

        // Serving path (the delta read back from the PEFT files) vs the base weights merged with the adapter.
        using var reloaded = PeftAdapter.Load(adapterDir, loaded.Model);
        loaded.Model.SetLowRankDelta(reloaded);
        var viaDelta = loaded.CreateGenerator().Complete(prompt, greedy with { MaxTokens = 40 });
        loaded.Model.SetLowRankDelta(null);
        using var merged = ModelLoader.Load(TestData.Stories260KHf);
        reloaded.MergeInto(merged.Model);
        var viaMerge = merged.CreateGenerator().Complete(prompt, greedy with { MaxTokens = 40 });
        Assert.Equal(viaMerge.TokenIds, viaDelta.TokenIds);
        Assert.Equal(adaptedText, viaDelta.Text[..adaptedText.Length]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resuming_from_a_checkpoint_matches_an_uninterrupted_run(bool trainableTokens)
    {
        using var temp = new TempDirectory();
        var settings = Settings with { Epochs = 4, CheckpointEvery = 5 };
        var lora = trainableTokens ? Lora with { TrainableTokenIndices = [508, 509] } : Lora;
        var (uninterrupted, _) = Train(settings, lora, stopAfter: null, resumeFrom: null, temp.Path);
        var checkpoint = Path.Combine(temp.Path, "checkpoint-10");
        var (interrupted, steps) = Train(settings, lora, stopAfter: 13, resumeFrom: null, temp.Path);
        Assert.Null(interrupted);
        Assert.Equal(13, steps[^1]);
        var (resumed, resumedSteps) = Train(settings, lora, stopAfter: null, resumeFrom: checkpoint, temp.Path);
        Assert.Equal(11, resumedSteps[0]);
        Assert.Equal(uninterrupted!.Step, resumed!.Step);
        Assert.Equal(uninterrupted.TrainLoss, resumed.TrainLoss, 1e-4);
        Assert.Equal(uninterrupted.ValidLoss!.Value, resumed.ValidLoss!.Value, 1e-4);
    }

    private static (StepMetrics? Last, List<int> Steps) Train(TrainingSettings settings, LoraSettings lora, int? stopAfter, string? resumeFrom, string root)
    {
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        var encoder = new ExampleEncoder(loaded.Tokenizer, loaded.ChatTemplate);
        var train = Validate(PatternDataset.Jsonl(0, 24), encoder);
        var validation = Validate(PatternDataset.Jsonl(48, 54), encoder);
        using var delta = LoraDelta.Create(loaded.Model, lora, settings.Seed);
        using var trainer = new LoraTrainer(loaded.Model, delta, settings, train.Examples, validation.Examples);
        if (resumeFrom is not null)
        {
            TrainingCheckpoint.Load(resumeFrom, trainer);
        }
        var steps = new List<int>();
        StepMetrics? last = null;
        while (!trainer.IsComplete)
        {
            last = trainer.TrainStep();
            steps.Add(last.Step);
            if (trainer.IsCheckpointStep(last.Step) && resumeFrom is null)
            {
                TrainingCheckpoint.Save(Path.Combine(root, $"checkpoint-{last.Step}"), trainer, "stories260K", last);
            }
            if (last.Step == stopAfter)
            {
                return (null, steps);
            }
        }
        return (last, steps);
    }

    private static DatasetReport Validate(string jsonl, ExampleEncoder encoder)
    {
        var report = DatasetValidator.Validate(new StringReader(jsonl), encoder, contextLength: 512);
        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        return report;
    }
}
