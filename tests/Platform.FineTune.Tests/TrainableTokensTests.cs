using System.Net;
using System.Text.Json;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Training;

namespace Platform.FineTune.Tests;

/// <summary>
/// A job with PEFT's <c>trainable_token_indices</c>: stories260K never trained the embedding rows of "[" and "]"
/// (TinyStories has no brackets), so only an adapter with its own rows for them learns to end with " [1]".
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class TrainableTokensTests(TrainingStores stores)
{
    private const string Cited = PatternDataset.Ending + " [1]";

    /// <summary>"[", "]", "1", the word-start piece "▁" and end-of-text in stories260K's vocabulary.</summary>
    private static readonly int[] Rows = [508, 509, 475, 410, 2];

    [Fact]
    public async Task A_job_with_trainable_token_rows_keeps_them_and_its_adapter_writes_the_brackets_the_base_model_cannot()
    {
        var tenant = Guid.NewGuid();
        using var factory = new FineTuneFactory(stores, worker: true, new Dictionary<string, string>
        {
            ["FineTune:BaseLearningRate"] = "0.001",
            ["FineTune:EvalEverySteps"] = "12",
            ["FineTune:CheckpointEverySteps"] = "100",
        });
        var client = factory.For(tenant);
        var training = await client.UploadOkAsync(PatternDataset.Jsonl(0, 48, Cited));
        var validation = await client.UploadOkAsync(PatternDataset.Jsonl(48, 60, Cited));
        var created = await (await client.CreateJobAsync(new
        {
            model = "stories260K", training_file = training, validation_file = validation, suffix = "cite", seed = 11,
            hyperparameters = new
            {
                n_epochs = 3, batch_size = 4, learning_rate_multiplier = 10, lora_r = 8, lora_alpha = 16, lora_dropout = 0.0,
                trainable_token_indices = Rows,
            },
        })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(Rows, TokenRows(created));
        var id = created.GetProperty("id").GetString()!;

        var job = await client.WaitForStatusAsync(id, s => s is "succeeded" or "failed" or "cancelled", TimeSpan.FromMinutes(3));
        var events = await client.EventsAsync(id);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", string.Join("\n", events.Select(e => e.GetProperty("message").GetString())));
        // Stored with the job: read back from the database, listed too.
        Assert.Equal(Rows, TokenRows(job));
        var listed = (await client.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray().Single(j => j.GetProperty("id").GetString() == id);
        Assert.Equal(Rows, TokenRows(listed));

        // The adapter in PEFT's format: the ids in the config, their rows as trainable_tokens_delta [ids, hidden].
        var adapter = Path.Combine(stores.ModelsDir, "adapters", tenant.ToString(), "stories260K:cite");
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal(Rows, config.RootElement.GetProperty("trainable_token_indices").EnumerateArray().Select(e => e.GetInt32()));
        }
        using (var weights = SafetensorsFile.Open(Path.Combine(adapter, "adapter_model.safetensors")))
        {
            Assert.Equal([Rows.Length, 64L], weights.Tensors["base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta"].Shape);
            Assert.Equal(5 * 7 * 2 + 1, weights.Tensors.Count);
        }

        // Applied to held-out openings: the adapter ends with a complete [1]; the base model writes no bracket.
        using var model = ModelLoader.Load(FineTuneStores.SharedModel);
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 32 };
        using var delta = PeftAdapter.Load(adapter, model.Model);
        Assert.Equal(Rows, delta.Tokens!.Indices);
        foreach (var i in new[] { 61, 63, 70 })
        {
            var prompt = model.Tokenizer.Encode(PatternDataset.Prompt(i));
            var baseText = model.CreateGenerator().Complete(prompt, greedy).Text;
            model.Model.SetLowRankDelta(delta);
            model.Model.SetTokenDelta(delta.Tokens);
            var text = model.CreateGenerator().Complete(prompt, greedy).Text;
            model.Model.SetLowRankDelta(null);
            model.Model.SetTokenDelta(null);
            Assert.DoesNotContain("[", baseText, StringComparison.Ordinal);
            Assert.Contains("frog. [1]", text, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<int> TokenRows(JsonElement job) =>
        job.GetProperty("hyperparameters").GetProperty("trainable_token_indices").EnumerateArray().Select(e => e.GetInt32()).ToList();
}
