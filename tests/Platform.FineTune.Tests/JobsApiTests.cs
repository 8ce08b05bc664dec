using System.Net;

namespace Platform.FineTune.Tests;

[Collection(ApiCollection.Name)]
public sealed class JobsApiTests(ApiStores stores) : IDisposable
{
    private readonly FineTuneFactory _factory = new(stores, worker: false, new Dictionary<string, string>
    {
        ["FineTune:Quotas:MaxConcurrentJobs"] = "5",
    });

    [Fact]
    public async Task A_job_is_created_in_openai_shape_listed_in_pages_read_and_cancelled_once()
    {
        var tenant = Guid.NewGuid();
        var client = _factory.For(tenant);
        var file = await client.UploadOkAsync(PatternDataset.Jsonl(0, 8));
        var job = await (await client.CreateJobAsync(new
        {
            model = "stories260K", training_file = file, suffix = "moon", seed = 5,
            hyperparameters = new { n_epochs = 2, batch_size = "auto", lora_r = 4, target_modules = new[] { "q_proj", "v_proj" } },
        })).JsonAsync(HttpStatusCode.OK);
        var id = job.GetProperty("id").GetString()!;
        Assert.StartsWith("ftjob-", id);
        Assert.Equal("fine_tuning.job", job.GetProperty("object").GetString());
        Assert.Equal("validating_files", job.GetProperty("status").GetString());
        Assert.Equal(5, job.GetProperty("seed").GetInt64());
        Assert.Equal(JsonNull, job.GetProperty("fine_tuned_model").ValueKind);
        Assert.Equal(tenant.ToString(), job.GetProperty("organization_id").GetString());
        var h = job.GetProperty("hyperparameters");
        Assert.Equal(2, h.GetProperty("n_epochs").GetInt32());
        Assert.Equal(4, h.GetProperty("batch_size").GetInt32());
        Assert.Equal(4, h.GetProperty("lora_r").GetInt32());
        Assert.Equal(["q_proj", "v_proj"], h.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(h.GetProperty("trainable_token_indices").EnumerateArray());

        var second = (await (await client.CreateJobAsync(new { model = "stories260K", training_file = file })).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();
        var third = (await (await client.CreateJobAsync(new { model = "stories260K", training_file = file })).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();
        var page1 = await client.GetJsonAsync("/v1/fine_tuning/jobs?limit=2");
        Assert.Equal([third, second], page1.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.True(page1.GetProperty("has_more").GetBoolean());
        var page2 = await client.GetJsonAsync($"/v1/fine_tuning/jobs?limit=2&after={second}");
        Assert.Equal([id], page2.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.False(page2.GetProperty("has_more").GetBoolean());

        // Members read; they cannot cancel.
        var member = _factory.ForUser(tenant, "member");
        Assert.Equal(id, (await member.GetJsonAsync($"/v1/fine_tuning/jobs/{id}")).GetProperty("id").GetString());
        await (await member.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).ErrorAsync(HttpStatusCode.Forbidden);

        var cancelled = await (await client.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        var again = await (await client.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).ErrorAsync(HttpStatusCode.Conflict);
        Assert.Equal("job_not_cancellable", again.GetProperty("code").GetString());

        var events = (await client.EventsAsync(id)).Select(e => e.GetProperty("message").GetString()).ToList();
        Assert.Equal($"Created fine-tuning job: {id}", events[0]);
        Assert.StartsWith("Validating training file", events[1]);
        Assert.Equal("Fine-tuning job cancelled by request.", events[^1]);
        Assert.Empty((await client.GetJsonAsync($"/v1/fine_tuning/jobs/{id}/checkpoints")).GetProperty("data").EnumerateArray());

        // Another tenant sees none of it.
        var other = _factory.For(Guid.NewGuid());
        await (await other.GetAsync($"/v1/fine_tuning/jobs/{id}")).ErrorAsync(HttpStatusCode.NotFound);
        await (await other.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).ErrorAsync(HttpStatusCode.NotFound);
        await (await other.GetAsync($"/v1/fine_tuning/jobs/{id}/events")).ErrorAsync(HttpStatusCode.NotFound);
        Assert.Empty((await other.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Bad_requests_get_openai_errors_and_create_nothing()
    {
        var tenant = Guid.NewGuid();
        var client = _factory.For(tenant);
        var file = await client.UploadOkAsync(PatternDataset.Jsonl(0, 4));
        var cases = new (object Body, string Param)[]
        {
            (new { training_file = file }, "model"),
            (new { model = "gpt-9", training_file = file }, "model"),
            (new { model = "../../etc", training_file = file }, "model"),
            (new { model = "stories260K" }, "training_file"),
            (new { model = "stories260K", training_file = "file-nope" }, "training_file"),
            (new { model = "stories260K", training_file = file, validation_file = "file-nope" }, "validation_file"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { n_epochs = 0 } }, "hyperparameters.n_epochs"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { lora_r = 1000 } }, "hyperparameters.lora_r"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { lora_dropout = 1.5 } }, "hyperparameters.lora_dropout"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { learning_rate_multiplier = -1 } }, "hyperparameters.learning_rate_multiplier"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { target_modules = new[] { "lm_head" } } }, "hyperparameters.target_modules"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { warmup = 3 } }, "hyperparameters.warmup"),
            // PEFT's trainable_token_indices: ids inside stories260K's 512-token vocabulary, each once, at most 64.
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = new[] { 508, 512 } } }, "hyperparameters.trainable_token_indices"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = new[] { -1 } } }, "hyperparameters.trainable_token_indices"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = new[] { 508, 509, 508 } } }, "hyperparameters.trainable_token_indices"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = Enumerable.Range(0, 65).ToArray() } }, "hyperparameters.trainable_token_indices"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = "508,509" } }, "hyperparameters.trainable_token_indices"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = new object[] { 508, 1.5 } } }, "hyperparameters.trainable_token_indices"),
            (new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = new[] { 508 }, lora_r = 0 } }, "hyperparameters.lora_r"),
            (new { model = "stories260K", training_file = file, suffix = "../x" }, "suffix"),
            (new { model = "stories260K", training_file = file, seed = -4 }, "seed"),
        };
        foreach (var (body, param) in cases)
        {
            await (await client.CreateJobAsync(body)).ErrorAsync(HttpStatusCode.BadRequest, param);
        }
        var outside = await (await client.CreateJobAsync(new { model = "stories260K", training_file = file, hyperparameters = new { trainable_token_indices = new[] { 600 } } }))
            .ErrorAsync(HttpStatusCode.BadRequest, "hyperparameters.trainable_token_indices");
        Assert.Equal("hyperparameters.trainable_token_indices: 600 is outside the base model's vocabulary (token ids 0 to 511).", outside.GetProperty("message").GetString());
        Assert.Equal("invalid_hyperparameters", outside.GetProperty("code").GetString());
        var malformed = await client.PostAsync("/v1/fine_tuning/jobs", new StringContent("{\"model\":", System.Text.Encoding.UTF8, "application/json"));
        await malformed.ErrorAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/v1/fine_tuning/jobs?limit=0")).ErrorAsync(HttpStatusCode.BadRequest, "limit");
        await (await client.GetAsync("/v1/fine_tuning/jobs/ftjob-nope")).ErrorAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync("/v1/fine_tuning/jobs/ftjob-nope/cancel", null)).ErrorAsync(HttpStatusCode.NotFound);

        // A member, or a key without the scope, may not create.
        await (await _factory.ForUser(tenant, "member").CreateJobAsync(new { model = "stories260K", training_file = file }))
            .ErrorAsync(HttpStatusCode.Forbidden);
        await (await _factory.ForUser(tenant, "tenant_admin", "inference").CreateJobAsync(new { model = "stories260K", training_file = file }))
            .ErrorAsync(HttpStatusCode.Forbidden);
        Assert.Empty((await client.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray());

        // The same suffix twice: the second would overwrite the first's adapter.
        await (await client.CreateJobAsync(new { model = "stories260K", training_file = file, suffix = "twin" })).JsonAsync(HttpStatusCode.OK);
        var twin = await (await client.CreateJobAsync(new { model = "stories260K", training_file = file, suffix = "twin" })).ErrorAsync(HttpStatusCode.Conflict, "suffix");
        Assert.Equal("model_exists", twin.GetProperty("code").GetString());
        Assert.Single((await client.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray());

        // A file an active job trains on cannot be deleted.
        await (await client.DeleteAsync($"/v1/files/{file}")).ErrorAsync(HttpStatusCode.Conflict, "file_id");
    }

    [Fact]
    public async Task Quotas_limit_concurrent_jobs_and_monthly_training_tokens()
    {
        var busy = Guid.NewGuid();
        var frugal = Guid.NewGuid();
        using var factory = new FineTuneFactory(stores, worker: false, new Dictionary<string, string>
        {
            [$"FineTune:Quotas:Tenants:{busy}:MaxConcurrentJobs"] = "1",
            [$"FineTune:Quotas:Tenants:{busy}:MaxTrainingTokensPerMonth"] = "100000000",
            [$"FineTune:Quotas:Tenants:{frugal}:MaxConcurrentJobs"] = "5",
            [$"FineTune:Quotas:Tenants:{frugal}:MaxTrainingTokensPerMonth"] = "1000",
        });
        var client = factory.For(busy);
        var file = await client.UploadOkAsync(PatternDataset.Jsonl(0, 4));
        var first = (await (await client.CreateJobAsync(new { model = "stories260K", training_file = file })).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();
        var limited = await (await client.CreateJobAsync(new { model = "stories260K", training_file = file })).ErrorAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("concurrent_jobs_exceeded", limited.GetProperty("code").GetString());
        await (await client.PostAsync($"/v1/fine_tuning/jobs/{first}/cancel", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.CreateJobAsync(new { model = "stories260K", training_file = file })).JsonAsync(HttpStatusCode.OK);

        var small = factory.For(frugal);
        var data = await small.UploadOkAsync(PatternDataset.Jsonl(0, 8));
        var tokens = (await small.GetJsonAsync($"/v1/files/{data}")).GetProperty("summary").GetProperty("tokens").GetInt64();
        Assert.InRange(tokens * 2, 1, 1000);
        await (await small.CreateJobAsync(new { model = "stories260K", training_file = data, hyperparameters = new { n_epochs = 2 } }))
            .JsonAsync(HttpStatusCode.OK);
        var over = await (await small.CreateJobAsync(new { model = "stories260K", training_file = data, hyperparameters = new { n_epochs = 2 } }))
            .ErrorAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("training_tokens_exceeded", over.GetProperty("code").GetString());
        Assert.Single((await small.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray());
    }

    private const System.Text.Json.JsonValueKind JsonNull = System.Text.Json.JsonValueKind.Null;

    public void Dispose() => _factory.Dispose();
}
