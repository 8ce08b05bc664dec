using System.Net;
using System.Text.Json;

namespace Platform.FineTune.Tests;

/// <summary>Queue-wait and training-time estimates on uploads and jobs (worker off: every job stays in the queue).</summary>
[Collection(ApiCollection.Name)]
public sealed class QueueEstimateTests(ApiStores stores) : IDisposable
{
    private readonly FineTuneFactory _factory = new(stores, worker: false,
        new Dictionary<string, string> { ["FineTune:Estimates:DefaultTokensPerSecond"] = "250" });

    private static JsonElement Estimate(JsonElement job) => job.GetProperty("estimate");

    private static double Wait(JsonElement job) => Estimate(job).GetProperty("queue_wait_seconds").GetDouble();

    private static double Training(JsonElement job) => Estimate(job).GetProperty("training_seconds").GetDouble();

    [Fact]
    public async Task Uploads_and_queued_jobs_estimate_their_wait_from_the_jobs_ahead_across_tenants()
    {
        var first = _factory.For(Guid.NewGuid());
        var second = _factory.For(Guid.NewGuid());
        var upload = await (await first.UploadAsync(PatternDataset.Jsonl(0, 24))).JsonAsync(HttpStatusCode.OK);
        var summary = upload.GetProperty("summary");
        var estimate = summary.GetProperty("estimate");
        Assert.Equal("default", estimate.GetProperty("basis").GetString());
        Assert.Equal(250, estimate.GetProperty("tokens_per_second").GetDouble());
        Assert.Equal(Math.Round(summary.GetProperty("estimated_training_tokens").GetInt64() / 250.0, 1), estimate.GetProperty("training_seconds").GetDouble());

        var a = await (await first.CreateJobAsync(new { model = "stories260K", training_file = upload.GetProperty("id").GetString() }))
            .JsonAsync(HttpStatusCode.OK);
        var secondFile = await second.UploadOkAsync(PatternDataset.Jsonl(0, 12));
        var b = await (await second.CreateJobAsync(new { model = "stories260K", training_file = secondFile })).JsonAsync(HttpStatusCode.OK);
        a = await first.GetJsonAsync($"/v1/fine_tuning/jobs/{a.GetProperty("id").GetString()}");

        // One slot (nothing runs): the second job waits for everything ahead of the first, then the first.
        Assert.Equal(Math.Round(a.GetProperty("estimated_tokens").GetInt64() / 250.0, 1), Training(a));
        Assert.Equal(Wait(a) + Training(a), Wait(b), 0.2);
        Assert.Equal(Estimate(a).GetProperty("jobs_ahead").GetInt32() + 1, Estimate(b).GetProperty("jobs_ahead").GetInt32());
        Assert.True(b.GetProperty("estimated_finish").GetInt64() >= a.GetProperty("estimated_finish").GetInt64());
        var listed = (await second.GetJsonAsync("/v1/fine_tuning/jobs")).GetProperty("data").EnumerateArray().Single();
        Assert.Equal(Wait(b), Wait(listed), 0.2);

        // Cancelled, the first job leaves the queue: it has no estimate, and the second no longer waits for it.
        var cancelled = await (await first.PostAsync($"/v1/fine_tuning/jobs/{a.GetProperty("id").GetString()}/cancel", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("estimate").ValueKind);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("estimated_finish").ValueKind);
        var after = await second.GetJsonAsync($"/v1/fine_tuning/jobs/{b.GetProperty("id").GetString()}");
        Assert.Equal(Wait(a), Wait(after), 0.2);
        await (await second.PostAsync($"/v1/fine_tuning/jobs/{b.GetProperty("id").GetString()}/cancel", null)).JsonAsync(HttpStatusCode.OK);
    }

    public void Dispose() => _factory.Dispose();
}
