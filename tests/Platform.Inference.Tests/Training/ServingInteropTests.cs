using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Lora;
using Platform.Inference.Training;

namespace Platform.Inference.Tests.Training;

/// <summary>A trained adapter, saved as PEFT files, read by serving's loader and applied per row: equal to merged weights.</summary>
public sealed class ServingInteropTests
{
    [Fact]
    public void An_adapter_saved_by_training_loads_through_the_serving_path_and_equals_merged_weights()
    {
        using var temp = new TempDirectory();
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        var encoder = new ExampleEncoder(loaded.Tokenizer, loaded.ChatTemplate);
        var train = DatasetValidator.Validate(new StringReader(PatternDataset.Jsonl(0, 24)), encoder, 512);
        var lora = new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "o_proj", "down_proj"] };
        using (var delta = LoraDelta.Create(loaded.Model, lora, seed: 3))
        {
            using (var trainer = new LoraTrainer(loaded.Model, delta,
                new TrainingSettings { Epochs = 2, BatchSize = 4, LearningRate = 1e-2, Seed = 3, EvalEvery = 0, CheckpointEvery = 0 }, train.Examples))
            {
                trainer.RunToEnd();
            }
            PeftAdapter.Save(temp.Path, delta, "stories260K");
        }

        var prompt = loaded.Tokenizer.Encode(PatternDataset.Prompt(70));
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 40 };
        using var adapter = LoraAdapterLoader.Load("stories260K:interop", temp.Path, loaded.Model);
        using var batchDelta = new LoraBatchDelta([adapter], loaded.Model);
        batchDelta.SetRows([1]);
        loaded.Model.SetLowRankDelta(batchDelta);
        var served = loaded.CreateGenerator().Complete(prompt, greedy);
        loaded.Model.SetLowRankDelta(null);

        using var merged = ModelLoader.Load(TestData.Stories260KHf);
        using (var reread = PeftAdapter.Load(temp.Path, merged.Model))
        {
            reread.MergeInto(merged.Model);
        }
        var viaMerge = merged.CreateGenerator().Complete(prompt, greedy);
        Assert.Equal(viaMerge.TokenIds, served.TokenIds);
        Assert.NotEqual(loaded.CreateGenerator().Complete(prompt, greedy).TokenIds, served.TokenIds);
    }
}
