using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Platform.Inference.Checkpoints;
using Platform.Inference.Training;

namespace Platform.Rag.Tests.Citing;

/// <summary>
/// Trains the citing LoRA adapter once per test run with the platform's own trainer on
/// stories260K-hf (seeded, so every run trains the same adapter) and saves it in PEFT format under
/// a temporary folder, deleted at the end.
/// </summary>
public sealed class CitingAdapterFixture : IAsyncLifetime
{
    /// <summary>Training examples (indices 0…95); held-out prompts start at <see cref="HeldOutFrom"/>.</summary>
    public const int TrainExamples = 96;

    public const int HeldOutFrom = 10_000;

    // 10 epochs × 24 steps of 4 examples (~120 tokens each): 21–33 s measured on the 2-core dev machine.
    private static readonly TrainingSettings Settings = new()
    {
        Epochs = 10, BatchSize = 4, LearningRate = 1e-2, Seed = 11, EvalEvery = 0, CheckpointEvery = 0, WarmupRatio = 0.05,
    };

    /// <summary>
    /// LoRA on every projection plus trainable rows (PEFT's trainable_token_indices) for "[", "]", "1", "2", "3",
    /// the word-start piece and end-of-text: in stories260K those tied embedding rows were never trained (no
    /// brackets in TinyStories), and without their own rows the adapter never writes a closing bracket.
    /// </summary>
    public static readonly int[] TokenRows = [508, 509, 475, 479, 472, 410, 2];

    private static readonly LoraSettings Lora = new() { Rank = 16, Alpha = 32, TrainableTokenIndices = TokenRows };

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "rag-citing-" + Guid.NewGuid().ToString("N"));

    /// <summary>The saved PEFT adapter folder.</summary>
    public string AdapterDir => Path.Combine(Root, "adapter");

    public double ValidationLossBefore { get; private set; }

    public double ValidationLossAfter { get; private set; }

    public TimeSpan TrainingTime { get; private set; }

    public int LongestPromptTokens { get; private set; }

    public static string ModelDir => Path.Combine(RagFixture.ModelsDir, RagFixture.Model);

    public async Task InitializeAsync()
    {
        var train = await JsonlAsync(0, TrainExamples);
        var validation = await JsonlAsync(HeldOutFrom + 500, HeldOutFrom + 512);
        using var loaded = ModelLoader.Load(ModelDir);
        var encoder = new ExampleEncoder(loaded.Tokenizer, loaded.ChatTemplate);
        var trainSet = Validate(train, encoder);
        var validSet = Validate(validation, encoder);
        LongestPromptTokens = trainSet.Examples.Max(e => e.InputIds.Length);
        using var delta = LoraDelta.Create(loaded.Model, Lora, Settings.Seed);
        var clock = Stopwatch.StartNew();
        using (var trainer = new LoraTrainer(loaded.Model, delta, Settings, trainSet.Examples, validSet.Examples))
        {
            ValidationLossBefore = trainer.ValidationLoss()!.Value;
            ValidationLossAfter = trainer.RunToEnd()!.ValidLoss!.Value;
        }
        TrainingTime = clock.Elapsed;
        PeftAdapter.Save(AdapterDir, delta, RagFixture.Model);
    }

    private static async Task<string> JsonlAsync(int from, int to)
    {
        var lines = new List<string>();
        for (var i = from; i < to; i++)
        {
            var example = CitationDataset.Make(i);
            lines.Add(JsonSerializer.Serialize(new { prompt = await CitationDataset.PromptAsync(i), completion = example.Completion }));
        }
        return string.Join('\n', lines);
    }

    private static DatasetReport Validate(string jsonl, ExampleEncoder encoder)
    {
        var report = DatasetValidator.Validate(new StringReader(jsonl), encoder, contextLength: 512);
        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        return report;
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"validation loss {ValidationLossBefore:F3} → {ValidationLossAfter:F3}, trained in {TrainingTime.TotalSeconds:F1} s, longest example {LongestPromptTokens} tokens");

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        return Task.CompletedTask;
    }
}
