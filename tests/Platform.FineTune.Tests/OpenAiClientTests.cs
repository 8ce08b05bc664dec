#pragma warning disable OPENAI001 // The client's fine-tuning API is marked experimental.
using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI.Files;
using OpenAI.FineTuning;

namespace Platform.FineTune.Tests;

/// <summary>
/// The official OpenAI .NET client against the real host with no <c>FineTune:DefaultModel</c>: its
/// upload names no model, so the file is checked for format only and counted when a job names the model.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OpenAiClientTests(ApiStores stores) : IDisposable
{
    private readonly FineTuneFactory _factory = new(stores, worker: false, new Dictionary<string, string>
    {
        ["FineTune:DefaultModel"] = "",
        ["FineTune:Quotas:MaxConcurrentJobs"] = "5",
    });

    private static readonly string TooLong = JsonSerializer.Serialize(new
    {
        prompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a dog.", 120)),
        completion = " The end.",
    });

    [Fact]
    public async Task The_client_uploads_a_dataset_without_a_model_and_creates_a_job_that_counts_it_with_the_jobs_model()
    {
        var tenant = Guid.NewGuid();
        var (files, fineTuning) = _factory.OpenAi(tenant);
        var jsonl = PatternDataset.Jsonl(0, 8);

        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(jsonl), "train.jsonl", FileUploadPurpose.FineTune);
        Assert.StartsWith("file-", file.Id);
        Assert.Equal(FilePurpose.FineTune, file.Purpose);
        Assert.Equal("train.jsonl", file.Filename);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(jsonl), file.SizeInBytesLong);
        OpenAIFile read = await files.GetFileAsync(file.Id);
        Assert.Equal(file.Id, read.Id);

        // Checked for format only: examples, but no model and no token figures yet.
        var http = _factory.For(tenant);
        var summary = (await http.GetJsonAsync($"/v1/files/{file.Id}")).GetProperty("summary");
        Assert.Equal(8, summary.GetProperty("examples").GetInt32());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("model").ValueKind);
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("tokens").ValueKind);
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("estimate").ValueKind);

        // With "model" the upload is counted as before; the job's estimate must equal that count.
        var counted = (await (await http.UploadAsync(jsonl, model: FineTuneStores.BaseModel)).JsonAsync(HttpStatusCode.OK)).GetProperty("summary");
        Assert.Equal(FineTuneStores.BaseModel, counted.GetProperty("model").GetString());
        var tokens = counted.GetProperty("tokens").GetInt64();
        Assert.True(tokens > 8, counted.ToString());

        FineTuningJob job = await fineTuning.FineTuneAsync(FineTuneStores.BaseModel, file.Id, waitUntilCompleted: false,
            new FineTuningOptions { Suffix = "client", Seed = 7 });
        Assert.StartsWith("ftjob-", job.JobId);
        Assert.Equal(FineTuningStatus.ValidatingFiles, job.Status);
        Assert.Equal(FineTuneStores.BaseModel, job.BaseModel);
        Assert.Equal(file.Id, job.TrainingFileId);
        Assert.Equal(7, job.Seed);
        var raw = await http.GetJsonAsync($"/v1/fine_tuning/jobs/{job.JobId}");
        Assert.Equal(tokens * 3, raw.GetProperty("estimated_tokens").GetInt64());

        // The client reads it back, and a second job on the same file and model reuses the counts.
        FineTuningJob fetched = await fineTuning.GetJobAsync(job.JobId);
        Assert.Equal(job.JobId, fetched.JobId);
        var second = await (await http.CreateJobAsync(new { model = FineTuneStores.BaseModel, training_file = file.Id, validation_file = file.Id }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(tokens * 3, second.GetProperty("estimated_tokens").GetInt64());
    }

    [Fact]
    public async Task An_example_longer_than_the_jobs_model_context_fails_job_creation_by_line_and_creates_nothing()
    {
        var tenant = Guid.NewGuid();
        var (files, fineTuning) = _factory.OpenAi(tenant);
        var jsonl = PatternDataset.Jsonl(0, 2) + "\n" + TooLong + "\n";

        // The upload cannot know the context length: no model was named, so it is accepted.
        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(jsonl), "long.jsonl", FileUploadPurpose.FineTune);
        var http = _factory.For(tenant);
        Assert.Equal(3, (await http.GetJsonAsync($"/v1/files/{file.Id}")).GetProperty("summary").GetProperty("examples").GetInt32());

        var failure = await Assert.ThrowsAsync<ClientResultException>(() =>
            fineTuning.FineTuneAsync(FineTuneStores.BaseModel, file.Id, waitUntilCompleted: false));
        Assert.Equal(400, failure.Status);
        var error = JsonDocument.Parse(failure.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("training_file", error.GetProperty("param").GetString());
        Assert.Equal("invalid_training_file", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("1 invalid line(s): line 3: the example is", message);
        Assert.Contains("longer than the model's context of 512", message);

        // The same through a validation file; nothing was created either way, and the file is still there.
        var good = (await (await http.UploadAsync(PatternDataset.Jsonl(0, 4))).JsonAsync(HttpStatusCode.OK)).GetProperty("id").GetString();
        var viaValidation = await (await http.CreateJobAsync(new { model = FineTuneStores.BaseModel, training_file = good, validation_file = file.Id }))
            .ErrorAsync(HttpStatusCode.BadRequest, "validation_file");
        Assert.Contains("line 3: the example is", viaValidation.GetProperty("message").GetString());
        Assert.Empty((await http.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray());
        Assert.Equal(file.Id, (await http.GetJsonAsync($"/v1/files/{file.Id}")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_bad_dataset_without_a_model_is_rejected_by_line_and_nothing_is_stored()
    {
        var tenant = Guid.NewGuid();
        var (files, _) = _factory.OpenAi(tenant);
        var jsonl = string.Join('\n',
            """{"prompt":"ok","completion":" fine"}""",
            """{"messages":[{"role":"user","content":"hi"}""",
            """{"messages":[{"role":"wizard","content":"hi"},{"role":"assistant","content":"yo"}]}""",
            """{"messages":[{"role":"user","content":"hi"}]}""",
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"  "}]}""",
            """{"text":"no shape"}""",
            """[1,2,3]""",
            TooLong);

        var failure = await Assert.ThrowsAsync<ClientResultException>(() =>
            files.UploadFileAsync(BinaryData.FromString(jsonl), "bad.jsonl", FileUploadPurpose.FineTune));
        Assert.Equal(400, failure.Status);
        var error = JsonDocument.Parse(failure.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("file", error.GetProperty("param").GetString());
        Assert.Equal("invalid_file", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("6 invalid line(s)", message);
        Assert.Contains("line 2: invalid JSON", message);
        Assert.Contains("line 3: messages[0] has unknown role \"wizard\"", message);
        Assert.Contains("line 4: the example has no assistant message", message);
        Assert.Contains("line 5: messages[1] has empty \"content\"", message);
        Assert.Contains("line 6: an example needs \"messages\"", message);
        Assert.Contains("line 7: each line must be a JSON object", message);
        // Length needs a model's tokenizer and context: not judged without one.
        Assert.DoesNotContain("line 1:", message);
        Assert.DoesNotContain("line 8:", message);

        var http = _factory.For(tenant);
        Assert.Empty((await http.GetJsonAsync("/v1/files")).GetProperty("data").EnumerateArray());
        var dir = Path.Combine(stores.DataDir, "files", tenant.ToString());
        Assert.True(!Directory.Exists(dir) || Directory.GetFiles(dir).Length == 0);
    }

    public void Dispose() => _factory.Dispose();
}
