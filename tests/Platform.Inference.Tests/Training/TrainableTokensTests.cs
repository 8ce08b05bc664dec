using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Lora;
using Platform.Inference.Training;
using TorchSharp;

namespace Platform.Inference.Tests.Training;

/// <summary>
/// Trainable tokens (PEFT's <c>trainable_token_indices</c>) on stories260K, whose tied embedding rows
/// of <c>[</c> (508) and <c>]</c> (509) are near copies of other never-seen tokens: with those rows
/// trained the adapter writes a bracketed marker the base model never writes; the rows round-trip
/// as PEFT files and behave exactly like an embedding table whose rows were replaced.
/// </summary>
public sealed class TrainableTokensTests
{
    private const string Ending = " The purple moon sang [2].";

    // "[", "]", "2" and the "▁" piece before "[".
    private static readonly int[] Brackets = [508, 509, 479, 410];

    [Fact]
    public void With_bracket_rows_trained_the_adapter_writes_the_marker_and_equals_a_table_with_those_rows_replaced()
    {
        using var temp = new TempDirectory();
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        var encoder = new ExampleEncoder(loaded.Tokenizer, loaded.ChatTemplate);
        var train = DatasetValidator.Validate(new StringReader(Jsonl(0, 48)), encoder, 512);
        var lora = new LoraSettings { Rank = 8, Alpha = 16, TrainableTokenIndices = Brackets };
        var prompt = loaded.Tokenizer.Encode(PatternDataset.Prompt(61));
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 16 };
        var baseText = loaded.CreateGenerator().Complete(prompt, greedy).Text;
        using (var delta = LoraDelta.Create(loaded.Model, lora, seed: 5))
        {
            Assert.Equal(Brackets, delta.Tokens!.Indices);
            using (var trainer = new LoraTrainer(loaded.Model, delta,
                new TrainingSettings { Epochs = 4, BatchSize = 4, LearningRate = 1e-2, Seed = 5, EvalEvery = 0, CheckpointEvery = 0 }, train.Examples))
            {
                trainer.RunToEnd();
            }
            Assert.Null(loaded.Model.TokenDelta);
            PeftAdapter.Save(temp.Path, delta, "stories260K");
        }

        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, PeftAdapter.ConfigFile))))
        {
            Assert.Equal(Brackets, config.RootElement.GetProperty("trainable_token_indices").EnumerateArray().Select(e => e.GetInt32()));
        }
        using (var weights = SafetensorsFile.Open(Path.Combine(temp.Path, PeftAdapter.WeightsFile)))
        {
            Assert.Equal([Brackets.Length, loaded.Model.Config.HiddenSize],
                weights.Tensors["base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta"].Shape);
        }

        using var reloaded = PeftAdapter.Load(temp.Path, loaded.Model);
        loaded.Model.SetLowRankDelta(reloaded);
        loaded.Model.SetTokenDelta(reloaded.Tokens);
        var adapted = loaded.CreateGenerator().Complete(prompt, greedy);
        loaded.Model.SetLowRankDelta(null);
        loaded.Model.SetTokenDelta(null);
        Assert.Contains("[2]", adapted.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("[", baseText, StringComparison.Ordinal);

        using var merged = ModelLoader.Load(TestData.Stories260KHf);
        reloaded.MergeInto(merged.Model);
        Assert.Equal(merged.CreateGenerator().Complete(prompt, greedy).TokenIds, adapted.TokenIds);
        Assert.Equal(baseText, loaded.CreateGenerator().Complete(prompt, greedy).Text);
    }

    [Fact]
    public void Bad_trainable_token_settings_and_files_are_clear_errors()
    {
        Assert.Throws<ArgumentException>(() => new LoraSettings { TrainableTokenIndices = [3, 3] }.Validate());
        Assert.Throws<ArgumentException>(() => new LoraSettings { TrainableTokenIndices = [-1] }.Validate());
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        var outside = Assert.Throws<ArgumentException>(() => LoraDelta.Create(loaded.Model, new LoraSettings { TrainableTokenIndices = [512] }, seed: 1));
        Assert.Contains("[0, 512)", outside.Message, StringComparison.Ordinal);

        using var temp = new TempDirectory();
        using (var delta = LoraDelta.Create(loaded.Model, new LoraSettings { Rank = 2, Alpha = 4, TrainableTokenIndices = [508, 509] }, seed: 1))
        {
            PeftAdapter.Save(temp.Path, delta, "stories260K");
        }
        var configPath = Path.Combine(temp.Path, PeftAdapter.ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;

        // PEFT's dictionary form is read like the list.
        config["trainable_token_indices"] = new JsonObject { ["embed_tokens"] = new JsonArray(508, 509), ["lm_head"] = new JsonArray(508, 509) };
        File.WriteAllText(configPath, config.ToJsonString());
        using (var reread = PeftAdapter.Load(temp.Path, loaded.Model))
        {
            Assert.Equal([508, 509], reread.Tokens!.Indices);
        }

        // Rows for other ids than the tensor holds, or ids the config does not list, are refused.
        config["trainable_token_indices"] = new JsonArray(508, 509, 510);
        File.WriteAllText(configPath, config.ToJsonString());
        var shape = Assert.Throws<ModelLoadException>(() => PeftAdapter.Load(temp.Path, loaded.Model));
        Assert.Contains("trainable_tokens_delta must be [3, 64]", shape.Message, StringComparison.Ordinal);
        config["trainable_token_indices"] = new JsonObject { ["lm_head"] = new JsonArray(508) };
        File.WriteAllText(configPath, config.ToJsonString());
        var form = Assert.Throws<ModelLoadException>(() => PeftAdapter.Load(temp.Path, loaded.Model));
        Assert.Contains("trainable_token_indices", form.Message, StringComparison.Ordinal);
        config["trainable_token_indices"] = null;
        File.WriteAllText(configPath, config.ToJsonString());
        var orphan = Assert.Throws<ModelLoadException>(() => PeftAdapter.Load(temp.Path, loaded.Model));
        Assert.Contains("trainable_token_indices", orphan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Served_in_a_mixed_batch_the_adapters_row_equals_the_merged_model_and_the_base_row_the_base_model()
    {
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        using var temp = new TempDirectory();
        using (var delta = LoraDelta.Create(loaded.Model, new LoraSettings { Rank = 2, Alpha = 4, TrainableTokenIndices = [508, 509, 479] }, seed: 1))
        using (torch.no_grad())
        {
            // Rows and one B moved away from their starting values, so the adapter changes the output.
            delta.Tokens!.Rows.add_(torch.randn(delta.Tokens.Rows.shape, generator: new torch.Generator(2)) * 0.5);
            delta.B("model.layers.0.self_attn.q_proj").add_(torch.randn(delta.B("model.layers.0.self_attn.q_proj").shape, generator: new torch.Generator(3)) * 0.1);
            PeftAdapter.Save(temp.Path, delta, "stories260K");
        }
        using var scope = torch.NewDisposeScope();
        // A prompt holding ids the adapter replaces (508, 509, 479), so both the input rows and the tied logits matter.
        long[] ids = [1, 403, 508, 479, 509, 302, 508, 88];
        var batch = torch.tensor(ids.Concat(ids).ToArray(), [2, ids.Length]);

        using var adapter = LoraAdapterLoader.Load("stories260K:tokens", temp.Path, loaded.Model);
        Assert.Equal([508, 509, 479], adapter.Tokens!.Indices);
        using var batchDelta = new LoraBatchDelta([adapter], loaded.Model);
        batchDelta.SetRows([1, 0]);
        loaded.Model.SetLowRankDelta(batchDelta);
        loaded.Model.SetTokenDelta(batchDelta);
        var served = loaded.Model.forward(batch);
        loaded.Model.SetLowRankDelta(null);
        loaded.Model.SetTokenDelta(null);
        var baseLogits = loaded.Model.forward(batch.narrow(0, 1, 1));

        using var merged = ModelLoader.Load(TestData.Stories260KHf);
        using (var reread = PeftAdapter.Load(temp.Path, merged.Model))
        {
            reread.MergeInto(merged.Model);
        }
        var mergedLogits = merged.Model.forward(batch.narrow(0, 0, 1));

        Assert.True(served[0].allclose(mergedLogits[0], rtol: 1e-4, atol: 1e-4), $"adapter row differs by {(served[0] - mergedLogits[0]).abs().max().item<float>()}");
        Assert.True(served[1].allclose(baseLogits[0], rtol: 1e-4, atol: 1e-4), $"base row differs by {(served[1] - baseLogits[0]).abs().max().item<float>()}");
        Assert.False(mergedLogits[0].allclose(baseLogits[0], rtol: 1e-3, atol: 1e-3), "the adapter should change the logits");
    }

    private static string Jsonl(int from, int to) => string.Join('\n', Enumerable.Range(from, to - from)
        .Select(i => JsonSerializer.Serialize(new { prompt = PatternDataset.Prompt(i), completion = Ending })));
}
