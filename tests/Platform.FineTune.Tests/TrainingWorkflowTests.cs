using System.Net;
using System.Text.Json;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Training;

namespace Platform.FineTune.Tests;

/// <summary>The worker end to end on stories260K: training, events, checkpoints, the PEFT adapter, and resuming after the host stops.</summary>
[Collection(TrainingCollection.Name)]
public sealed class TrainingWorkflowTests(TrainingStores stores)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static Dictionary<string, string> Settings(int checkpointEvery) => new()
    {
        ["FineTune:BaseLearningRate"] = "0.001",
        ["FineTune:EvalEverySteps"] = "6",
        ["FineTune:CheckpointEverySteps"] = checkpointEvery.ToString(),
    };

    private static object JobRequest(string training, string validation, string suffix, int epochs) => new
    {
        model = "stories260K", training_file = training, validation_file = validation, suffix, seed = 11,
        hyperparameters = new { n_epochs = epochs, batch_size = 4, learning_rate_multiplier = 10, lora_r = 8, lora_alpha = 16, lora_dropout = 0.0 },
    };

    [Fact]
    public async Task A_job_trains_the_pattern_and_registers_a_peft_adapter_for_the_tenant()
    {
        var tenant = Guid.NewGuid();
        using var factory = new FineTuneFactory(stores, worker: true, Settings(checkpointEvery: 12));
        var client = factory.For(tenant);
        var training = await client.UploadOkAsync(PatternDataset.Jsonl(0, 48));
        var validation = await client.UploadOkAsync(PatternDataset.Jsonl(48, 60));
        var id = (await (await client.CreateJobAsync(JobRequest(training, validation, "moon", epochs: 3))).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;

        var job = await client.WaitForStatusAsync(id, s => s is "succeeded" or "failed" or "cancelled", Timeout);
        var events = await client.EventsAsync(id);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", string.Join("\n", events.Select(e => e.GetProperty("message").GetString())));
        Assert.Equal("stories260K:moon", job.GetProperty("fine_tuned_model").GetString());
        Assert.True(job.GetProperty("trained_tokens").GetInt64() > 0);

        var messages = events.Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith("Files validated", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Fine-tuning job started: 36 steps", StringComparison.Ordinal));
        Assert.Contains("Checkpoint saved at step 12.", messages);
        Assert.Contains("Checkpoint saved at step 24.", messages);
        var metrics = events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(Enumerable.Range(0, 37), metrics.Select(m => m.GetProperty("step").GetInt32()));
        var before = metrics[0].GetProperty("valid_loss").GetDouble();
        var after = metrics[^1].GetProperty("valid_loss").GetDouble();
        Assert.True(after <= 0.7 * before, $"validation loss {before:F3} → {after:F3} fell less than 30%");
        Assert.All(metrics.Skip(1), m => Assert.True(m.GetProperty("train_loss").GetDouble() > 0));
        Assert.EndsWith("The job has successfully completed.", messages[^1]);

        var checkpoints = (await client.GetJsonAsync($"/v1/fine_tuning/jobs/{id}/checkpoints")).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([24, 12], checkpoints.Select(c => c.GetProperty("step_number").GetInt32()));
        Assert.Equal("stories260K:moon:ckpt-step-24", checkpoints[0].GetProperty("fine_tuned_model_checkpoint").GetString());

        // The adapter, read as plain PEFT files, then applied: it writes the pattern the base model does not.
        var adapter = Path.Combine(stores.ModelsDir, "adapters", tenant.ToString(), "stories260K:moon");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        Assert.Equal("LORA", config.RootElement.GetProperty("peft_type").GetString());
        Assert.Equal(8, config.RootElement.GetProperty("r").GetInt32());
        Assert.Equal(16, config.RootElement.GetProperty("lora_alpha").GetDouble());
        Assert.Equal("stories260K", config.RootElement.GetProperty("base_model_name_or_path").GetString());
        Assert.Equal(7, config.RootElement.GetProperty("target_modules").GetArrayLength());
        using (var weights = SafetensorsFile.Open(Path.Combine(adapter, "adapter_model.safetensors")))
        {
            Assert.Equal(5 * 7 * 2, weights.Tensors.Count);
            Assert.Equal([8L, 64L], weights.Tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal([32L, 8L], weights.Tensors["base_model.model.model.layers.4.self_attn.k_proj.lora_B.weight"].Shape);
            Assert.Equal([64L, 8L], weights.Tensors["base_model.model.model.layers.2.mlp.down_proj.lora_B.weight"].Shape);
            Assert.Equal([8L, 172L], weights.Tensors["base_model.model.model.layers.2.mlp.down_proj.lora_A.weight"].Shape);
        }
        using var model = ModelLoader.Load(FineTuneStores.SharedModel);
        var prompt = model.Tokenizer.Encode(PatternDataset.Prompt(63));
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 24 };
        Assert.DoesNotContain("purple moon", model.CreateGenerator().Complete(prompt, greedy).Text);
        using var delta = PeftAdapter.Load(adapter, model.Model);
        model.Model.SetLowRankDelta(delta);
        Assert.Contains("purple moon", model.CreateGenerator().Complete(prompt, greedy).Text);
    }

    [Fact]
    public async Task A_job_whose_host_stops_resumes_from_its_last_checkpoint_and_ends_like_an_uninterrupted_run()
    {
        var tenant = Guid.NewGuid();
        string training, validation, interrupted;
        using (var first = new FineTuneFactory(stores, worker: true, Settings(checkpointEvery: 4)))
        {
            var client = first.For(tenant);
            training = await client.UploadOkAsync(PatternDataset.Jsonl(0, 48));
            validation = await client.UploadOkAsync(PatternDataset.Jsonl(48, 60));
            interrupted = (await (await client.CreateJobAsync(JobRequest(training, validation, "resumed", epochs: 10))).JsonAsync(HttpStatusCode.OK))
                .GetProperty("id").GetString()!;
            using var cts = new CancellationTokenSource(Timeout);
            while (!(await client.EventsAsync(interrupted)).Any(e => e.GetProperty("message").GetString() == "Checkpoint saved at step 8."))
            {
                await Task.Delay(20, cts.Token);
            }
        } // the host stops mid-training: its worker puts the job back in the queue

        using var second = new FineTuneFactory(stores, worker: true, Settings(checkpointEvery: 4));
        var again = second.For(tenant);
        var resumedJob = await again.WaitForStatusAsync(interrupted, s => s is "succeeded" or "failed" or "cancelled", Timeout);
        var events = await again.EventsAsync(interrupted);
        var messages = events.Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.True(resumedJob.GetProperty("status").GetString() == "succeeded", string.Join("\n", messages));
        var paused = messages.FindIndex(m => m.StartsWith("Job paused (the worker stopped)", StringComparison.Ordinal));
        Assert.True(paused > 0, string.Join("\n", messages));
        var resumed = messages.FindIndex(m => m.StartsWith("Resumed from checkpoint at step ", StringComparison.Ordinal));
        Assert.True(resumed > paused);
        var resumeStep = events[resumed].GetProperty("data").GetProperty("step").GetInt32();
        Assert.True(resumeStep >= 8 && resumeStep < 120, $"resumed at {resumeStep}");
        Assert.Equal($"Job paused (the worker stopped); it resumes from the checkpoint at step {resumeStep}.", messages[paused]);
        var stepsBefore = StepsOf(events.Take(paused)).ToList();
        Assert.True(stepsBefore.Count > 0 && stepsBefore[^1] < 120, "the first host finished before it was stopped");
        Assert.Equal(Enumerable.Range(resumeStep + 1, 120 - resumeStep), StepsOf(events.Skip(resumed)));

        // The same job uninterrupted (same seed and files) ends with the same losses, within noise.
        var id = (await (await again.CreateJobAsync(JobRequest(training, validation, "straight", epochs: 10))).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;
        var straight = await again.WaitForStatusAsync(id, s => s is "succeeded" or "failed" or "cancelled", Timeout);
        Assert.Equal("succeeded", straight.GetProperty("status").GetString());
        var a = LastMetrics(events);
        var b = LastMetrics(await again.EventsAsync(id));
        Assert.Equal(b.GetProperty("valid_loss").GetDouble(), a.GetProperty("valid_loss").GetDouble(), 1e-3);
        Assert.Equal(b.GetProperty("train_loss").GetDouble(), a.GetProperty("train_loss").GetDouble(), 1e-3);
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_training_and_keeps_no_adapter()
    {
        var tenant = Guid.NewGuid();
        using var factory = new FineTuneFactory(stores, worker: true, Settings(checkpointEvery: 4));
        var client = factory.For(tenant);
        var training = await client.UploadOkAsync(PatternDataset.Jsonl(0, 48));
        var validation = await client.UploadOkAsync(PatternDataset.Jsonl(48, 60));
        var id = (await (await client.CreateJobAsync(JobRequest(training, validation, "stopped", epochs: 10))).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;
        await client.WaitForStatusAsync(id, s => s != "validating_files" && s != "queued", Timeout);
        await (await client.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).ErrorAsync(HttpStatusCode.Conflict);

        // The worker notices at its next lease renewal; afterwards no more steps are recorded.
        using var cts = new CancellationTokenSource(Timeout);
        int count;
        do
        {
            count = (await client.EventsAsync(id)).Count;
            await Task.Delay(1500, cts.Token);
        }
        while ((await client.EventsAsync(id)).Count != count);
        var job = await client.GetJsonAsync($"/v1/fine_tuning/jobs/{id}");
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("fine_tuned_model").ValueKind);
        Assert.False(Directory.Exists(Path.Combine(stores.ModelsDir, "adapters", tenant.ToString(), "stories260K:stopped")));
    }

    private static IEnumerable<int> StepsOf(IEnumerable<JsonElement> events) => events
        .Where(e => e.GetProperty("type").GetString() == "metrics")
        .Select(e => e.GetProperty("data").GetProperty("step").GetInt32())
        .Where(s => s > 0);

    private static JsonElement LastMetrics(IEnumerable<JsonElement> events) =>
        events.Last(e => e.GetProperty("type").GetString() == "metrics").GetProperty("data");
}
