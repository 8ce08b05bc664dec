using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Platform.Portal.Gateway;

/// <summary>The fine-tuning service behind the gateway (<c>/v1/files</c>, <c>/v1/fine_tuning/jobs</c>), called as the signed-in person.</summary>
public sealed partial class GatewayClient
{
    public async Task<List<DatasetView>> ListDatasetsAsync(string token, CancellationToken ct) =>
        (await SendAsync<ListView<DatasetView>>(Authorized(HttpMethod.Get, "/v1/files?purpose=fine-tune", token), ct, SnakeJson)).Data;

    /// <summary>Uploads a JSONL dataset; a bad file is a <see cref="GatewayException"/> whose message lists its problems by line.</summary>
    public Task<DatasetView> UploadDatasetAsync(string token, string fileName, Stream content, string? model, CancellationToken ct)
    {
        var file = new StreamContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        var form = new MultipartFormDataContent { { new StringContent("fine-tune"), "purpose" }, { file, "file", fileName } };
        if (model is { Length: > 0 })
        {
            form.Add(new StringContent(model), "model");
        }
        var request = Authorized(HttpMethod.Post, "/v1/files", token);
        request.Content = form;
        return SendAsync<DatasetView>(request, ct, SnakeJson);
    }

    public Task DeleteDatasetAsync(string token, string fileId, CancellationToken ct) =>
        DeleteAsync(token, $"/v1/files/{Uri.EscapeDataString(fileId)}", ct);

    public async Task<List<FineTuneJobView>> ListJobsAsync(string token, CancellationToken ct) =>
        (await SendAsync<PageView<FineTuneJobView>>(Authorized(HttpMethod.Get, "/v1/fine_tuning/jobs?limit=50", token), ct, SnakeJson)).Data;

    public Task<FineTuneJobView> GetJobAsync(string token, string jobId, CancellationToken ct) =>
        SendAsync<FineTuneJobView>(Authorized(HttpMethod.Get, $"/v1/fine_tuning/jobs/{Uri.EscapeDataString(jobId)}", token), ct, SnakeJson);

    public Task<FineTuneJobView> CreateJobAsync(string token, FineTuneJobRequest job, CancellationToken ct)
    {
        var request = Authorized(HttpMethod.Post, "/v1/fine_tuning/jobs", token);
        request.Content = JsonContent.Create(new
        {
            model = job.Model,
            training_file = job.TrainingFile,
            validation_file = job.ValidationFile,
            suffix = job.Suffix,
            seed = job.Seed,
            hyperparameters = new
            {
                n_epochs = job.Hyperparameters.NEpochs,
                batch_size = job.Hyperparameters.BatchSize,
                learning_rate_multiplier = job.Hyperparameters.LearningRateMultiplier,
                lora_r = job.Hyperparameters.LoraR,
                lora_alpha = job.Hyperparameters.LoraAlpha,
                lora_dropout = job.Hyperparameters.LoraDropout,
                trainable_token_indices = job.Hyperparameters.TrainableTokenIndices is { Count: > 0 } ids ? ids : null,
            },
        }, options: SnakeJson);
        return SendAsync<FineTuneJobView>(request, ct, SnakeJson);
    }

    public Task<FineTuneJobView> CancelJobAsync(string token, string jobId, CancellationToken ct) =>
        SendAsync<FineTuneJobView>(Authorized(HttpMethod.Post, $"/v1/fine_tuning/jobs/{Uri.EscapeDataString(jobId)}/cancel", token), ct, SnakeJson);

    /// <summary>
    /// The events of a job newer than <paramref name="newerThan"/> (all of them when null), oldest first.
    /// The API pages newest first with <c>after</c>, so pages are read until one reaches a known event or
    /// <c>has_more</c> is false: a poll of a running job costs one request.
    /// </summary>
    public async Task<List<FineTuneEventView>> ListEventsAsync(string token, string jobId, long? newerThan, CancellationToken ct)
    {
        var found = new List<FineTuneEventView>();
        string? after = null;
        while (true)
        {
            var path = $"/v1/fine_tuning/jobs/{Uri.EscapeDataString(jobId)}/events?limit=100" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await SendAsync<PageView<FineTuneEventView>>(Authorized(HttpMethod.Get, path, token), ct, SnakeJson);
            var fresh = page.Data.TakeWhile(e => newerThan is not { } known || e.Sequence > known).ToList();
            found.AddRange(fresh);
            if (fresh.Count < page.Data.Count || !page.HasMore || page.Data.Count == 0)
            {
                break;
            }
            after = page.Data[^1].Id;
        }
        found.Reverse();
        return found;
    }
}
