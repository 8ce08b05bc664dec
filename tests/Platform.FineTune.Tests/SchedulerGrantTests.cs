using System.Net;
using System.Text.Json;
using Platform.FineTune.Pool;
using Platform.Inference.Model;
using Platform.Scheduling.Workloads;
using Platform.Services.FineTune.Pool;

namespace Platform.FineTune.Tests;

/// <summary>
/// The worker with <c>FineTune:Pool:Mode = scheduler</c> against the real Scheduler host: it waits while the
/// pool is full, trains once granted, gives the memory back, checkpoints and requeues when preempted and
/// resumes there, fails a job the pool can never fit, and withdraws the request of a job cancelled while waiting.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class SchedulerGrantTests(TrainingStores stores)
{
    private const long Gib = 1L << 30;
    private const long DeviceBytes = 3 * Gib / 2;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static Dictionary<string, string> Settings(int checkpointEvery = 50) => new()
    {
        ["FineTune:BaseLearningRate"] = "0.001",
        ["FineTune:EvalEverySteps"] = "6",
        ["FineTune:CheckpointEverySteps"] = checkpointEvery.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static object JobRequest(string training, string validation, string suffix, int epochs) => new
    {
        model = "stories260K", training_file = training, validation_file = validation, suffix, seed = 5,
        hyperparameters = new { n_epochs = epochs, batch_size = 4, learning_rate_multiplier = 10, lora_r = 8, lora_alpha = 16, lora_dropout = 0.0 },
    };

    private static async Task<string> CreateJobAsync(HttpClient client, string suffix, int epochs)
    {
        var training = await client.UploadOkAsync(PatternDataset.Jsonl(0, 48));
        var validation = await client.UploadOkAsync(PatternDataset.Jsonl(48, 60));
        return (await (await client.CreateJobAsync(JobRequest(training, validation, suffix, epochs))).JsonAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;
    }

    private static async Task<List<JsonElement>> WaitForEventAsync(HttpClient client, string jobId, Func<List<JsonElement>, bool> done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var events = await client.EventsAsync(jobId);
            if (done(events))
            {
                return events;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    private static async Task WaitForStateAsync(HttpClient scheduler, string workloadId, string? state)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (await SchedulerPool.StateAsync(scheduler, workloadId) != state)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    private static string Message(JsonElement e) => e.GetProperty("message").GetString()!;

    private static bool IsWaiting(JsonElement e) => Message(e).StartsWith("Waiting for GPU memory from the pool: ", StringComparison.Ordinal);

    private static IEnumerable<int> Steps(IEnumerable<JsonElement> events) => events
        .Where(e => e.GetProperty("type").GetString() == "metrics")
        .Select(e => e.GetProperty("data").GetProperty("step").GetInt32())
        .Where(s => s > 0);

    [Fact]
    public async Task A_job_waits_while_the_pool_is_full_trains_once_granted_and_gives_the_memory_back()
    {
        await SchedulerPool.ResetAsync(stores);
        await using var pool = new SchedulerPool(stores, DeviceBytes);
        using var acme = pool.AcmeClient();
        Assert.Equal("running", await SchedulerPool.AllocateReplicaAsync(acme, "acme-blocker", Gib));
        await using var factory = pool.FineTune(stores, Settings());
        var client = factory.For(Guid.NewGuid());
        var id = await CreateJobAsync(client, "granted", epochs: 1);
        var workload = SchedulerGpuGrant.WorkloadId(id);

        var events = await WaitForEventAsync(client, id, es => es.Any(IsWaiting));
        await WaitForStateAsync(acme, workload, "pending");
        var queued = await client.GetJsonAsync($"/v1/fine_tuning/jobs/{id}");
        Assert.Equal("queued", queued.GetProperty("status").GetString());
        Assert.Equal(0, queued.GetProperty("estimate").GetProperty("queue_wait_seconds").GetDouble());
        Assert.True(queued.GetProperty("estimate").GetProperty("training_seconds").GetDouble() > 0);
        Assert.True(queued.GetProperty("estimated_finish").GetInt64() >= queued.GetProperty("created_at").GetInt64());

        // The request is the scheduler's own LoRA estimate for this model, rank, targets and longest example.
        var files = (await client.GetJsonAsync("/v1/files")).GetProperty("data").EnumerateArray().ToList();
        var longest = files.Max(f => f.GetProperty("summary").GetProperty("max_example_tokens").GetInt32());
        var config = LlamaConfig.Load(Path.Combine(FineTuneStores.SharedModel, "config.json"));
        var spec = new ModelSpec("stories260K", config.ParameterCount, config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.NumKeyValueHeads);
        var expected = LoraPoolEstimate.For(spec, 8, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], longest).TotalBytes;
        Assert.Equal(expected, events.First(IsWaiting).GetProperty("data").GetProperty("memory_bytes").GetInt64());

        using (var release = await acme.DeleteAsync("/api/pool/allocations/acme-blocker"))
        {
            Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
        }
        var job = await client.WaitForStatusAsync(id, s => s is "succeeded" or "failed" or "cancelled", Timeout);
        var messages = (await client.EventsAsync(id)).Select(Message).ToList();
        Assert.True(job.GetProperty("status").GetString() == "succeeded", string.Join("\n", messages));
        Assert.Contains(messages, m => m.StartsWith("Fine-tuning job started: 12 steps", StringComparison.Ordinal) && m.EndsWith("on cpu.", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("estimate").ValueKind);
        await WaitForStateAsync(acme, workload, null); // released when training ended
    }

    [Fact]
    public async Task A_preempted_job_checkpoints_requeues_waits_and_resumes_where_it_stopped()
    {
        await SchedulerPool.ResetAsync(stores);
        await using var pool = new SchedulerPool(stores, DeviceBytes);
        using var acme = pool.AcmeClient();
        await using var factory = pool.FineTune(stores, Settings());
        var client = factory.For(Guid.NewGuid()); // a tenant without a guarantee: its fine-tune borrows
        var id = await CreateJobAsync(client, "preempted", epochs: 5);
        var workload = SchedulerGpuGrant.WorkloadId(id);
        await WaitForEventAsync(client, id, es => Steps(es).Any(s => s >= 2));

        // Acme reclaims its guarantee: the scheduler preempts the borrowed fine-tune for Acme's replica.
        Assert.Equal("pending", await SchedulerPool.AllocateReplicaAsync(acme, "acme-replica", Gib));
        var events = await WaitForEventAsync(client, id, es => es.Any(e => Message(e).StartsWith("Job paused", StringComparison.Ordinal)));
        await WaitForStateAsync(acme, "acme-replica", "running"); // the worker gave the memory back
        events = await WaitForEventAsync(client, id, es => es.SkipWhile(e => !Message(e).StartsWith("Job paused", StringComparison.Ordinal)).Any(IsWaiting));
        Assert.Equal("queued", (await client.GetJsonAsync($"/v1/fine_tuning/jobs/{id}")).GetProperty("status").GetString());
        await WaitForStateAsync(acme, workload, "pending");

        var paused = events.FindIndex(e => Message(e).StartsWith("Job paused", StringComparison.Ordinal));
        var stepsBefore = Steps(events.Take(paused)).ToList();
        var stoppedAt = stepsBefore[^1];
        Assert.True(stoppedAt < 60, "the job finished before it was preempted");
        Assert.Equal(Enumerable.Range(1, stoppedAt), stepsBefore);
        Assert.Equal($"Job paused (preempted by the GPU pool); it resumes from the checkpoint at step {stoppedAt}.", Message(events[paused]));
        Assert.Contains($"Checkpoint saved at step {stoppedAt}.", events.Take(paused).Select(Message));

        using (var release = await acme.DeleteAsync("/api/pool/allocations/acme-replica"))
        {
            Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
        }
        var job = await client.WaitForStatusAsync(id, s => s is "succeeded" or "failed" or "cancelled", Timeout);
        events = await client.EventsAsync(id);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", string.Join("\n", events.Select(Message)));
        var resumed = events.FindIndex(e => Message(e) == $"Resumed from checkpoint at step {stoppedAt} of 60.");
        Assert.True(resumed > paused, string.Join("\n", events.Select(Message)));
        Assert.Equal(Enumerable.Range(stoppedAt + 1, 60 - stoppedAt), Steps(events.Skip(resumed)));
        await WaitForStateAsync(acme, workload, null);
    }

    [Fact]
    public async Task A_job_the_pool_can_never_fit_fails_as_unschedulable()
    {
        await SchedulerPool.ResetAsync(stores);
        await using var pool = new SchedulerPool(stores, Gib / 2); // less than the estimate's runtime overhead alone
        using var acme = pool.AcmeClient();
        await using var factory = pool.FineTune(stores, Settings());
        var client = factory.For(Guid.NewGuid());
        var id = await CreateJobAsync(client, "toolarge", epochs: 1);

        var job = await client.WaitForStatusAsync(id, s => s is "succeeded" or "failed" or "cancelled", Timeout);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("unschedulable", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("can never fit", job.GetProperty("error").GetProperty("message").GetString());
        Assert.Null(await SchedulerPool.StateAsync(acme, SchedulerGpuGrant.WorkloadId(id)));
        Assert.DoesNotContain(await client.EventsAsync(id), e => e.GetProperty("type").GetString() == "metrics");
    }

    [Fact]
    public async Task Cancelling_a_job_that_waits_for_memory_withdraws_its_request()
    {
        await SchedulerPool.ResetAsync(stores);
        await using var pool = new SchedulerPool(stores, DeviceBytes);
        using var acme = pool.AcmeClient();
        Assert.Equal("running", await SchedulerPool.AllocateReplicaAsync(acme, "acme-blocker", Gib));
        await using var factory = pool.FineTune(stores, Settings());
        var client = factory.For(Guid.NewGuid());
        var id = await CreateJobAsync(client, "withdrawn", epochs: 1);
        var workload = SchedulerGpuGrant.WorkloadId(id);
        await WaitForEventAsync(client, id, es => es.Any(IsWaiting));
        await WaitForStateAsync(acme, workload, "pending");

        await (await client.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null)).JsonAsync(HttpStatusCode.OK);
        await WaitForStateAsync(acme, workload, null);
        Assert.Equal("cancelled", (await client.GetJsonAsync($"/v1/fine_tuning/jobs/{id}")).GetProperty("status").GetString());
        using var release = await acme.DeleteAsync("/api/pool/allocations/acme-blocker");
        Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
    }

    [Theory]
    [InlineData("scheduler", null, "Services:scheduler must be the base URL")]
    [InlineData("gpu", "http://scheduler.test/", "Mode")]
    public void A_host_with_a_bad_pool_setting_does_not_start(string mode, string? url, string expected)
    {
        var settings = new Dictionary<string, string> { ["FineTune:Pool:Mode"] = mode };
        if (url is not null)
        {
            settings["Services:scheduler"] = url;
        }
        using var factory = new FineTuneFactory(stores, worker: false, settings);
        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }
}
