#pragma warning disable OPENAI001 // The client's fine-tuning API is marked experimental.
using OpenAI.Files;
using OpenAI.FineTuning;

namespace Platform.FineTune.Tests;

/// <summary>A dataset uploaded by the official client with no model goes through validating_files and trains to a registered adapter.</summary>
[Collection(TrainingCollection.Name)]
public sealed class OpenAiClientTrainingTests(TrainingStores stores)
{
    [Fact]
    public async Task A_job_on_a_file_uploaded_without_a_model_is_validated_with_the_jobs_model_and_trains()
    {
        var tenant = Guid.NewGuid();
        using var factory = new FineTuneFactory(stores, worker: true, new Dictionary<string, string> { ["FineTune:DefaultModel"] = "" });
        var (files, fineTuning) = factory.OpenAi(tenant);
        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(PatternDataset.Jsonl(0, 8)), "train.jsonl", FileUploadPurpose.FineTune);

        // The client (2.15) cannot set hyperparameters: the defaults (3 epochs, batch 4) make 6 steps here.
        var job = await fineTuning.FineTuneAsync(FineTuneStores.BaseModel, file.Id, waitUntilCompleted: false, new FineTuningOptions
        {
            Suffix = "openai-client",
            Seed = 3,
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!job.HasCompleted)
        {
            await Task.Delay(200, timeout.Token);
            job = await fineTuning.GetJobAsync(job.JobId, timeout.Token);
        }

        var raw = await factory.For(tenant).GetJsonAsync($"/v1/fine_tuning/jobs/{job.JobId}");
        Assert.True(job.Status == FineTuningStatus.Succeeded, raw.ToString());
        var model = raw.GetProperty("fine_tuned_model").GetString()!;
        Assert.Equal($"{FineTuneStores.BaseModel}:openai-client", model);
        var messages = (await factory.For(tenant).EventsAsync(job.JobId)).Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith("Files validated: ", StringComparison.Ordinal));
        var adapter = Path.Combine(stores.ModelsDir, "adapters", tenant.ToString(), model);
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")));
    }
}
