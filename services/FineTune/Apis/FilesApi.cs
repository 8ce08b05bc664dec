using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.FineTune.Contracts;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;
using Platform.Services.FineTune.Pool;

namespace Platform.Services.FineTune.Apis;

/// <summary>
/// /v1/files for fine-tuning datasets (OpenAI's files API, purpose "fine-tune" only). An upload is
/// validated before anything is stored; a bad file is a 400 listing its problems by line. The form's
/// <c>model</c> is optional (OpenAI has none): without it only what needs no tokenizer is checked here.
/// </summary>
public static class FilesApi
{
    public static RouteGroupBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/files");
        api.MapPost("/", Upload).RequireFineTuneAdmin().DisableAntiforgery();
        api.MapGet("/", List).RequireCaller();
        api.MapGet("/{fileId}", Get).RequireCaller();
        api.MapDelete("/{fileId}", Delete).RequireFineTuneAdmin();
        return api;
    }

    private static async Task<IResult> Upload(HttpContext context, FileStore store, DatasetFiles storage, BaseModelCatalog models,
        QueueEstimator queue, IOptions<FineTuneOptions> options, ILoggerFactory loggers, CancellationToken ct)
    {
        var caller = context.GetCaller()!;
        if (!context.Request.HasFormContentType)
        {
            return Access.Invalid("Upload the dataset as multipart/form-data with fields \"file\" and \"purpose\".", "file");
        }
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return ErrorResults.OpenAi(StatusCodes.Status413PayloadTooLarge, "invalid_request_error",
                $"The upload is malformed or larger than {options.Value.MaxFileBytes} bytes.", "file", "file_too_large");
        }
        if (form["purpose"].ToString() != "fine-tune")
        {
            return Access.Invalid("purpose must be \"fine-tune\" (the only purpose this service stores).", "purpose");
        }
        if (form.Files.GetFile("file") is not { } upload)
        {
            return Access.Invalid("The form has no \"file\" part.", "file");
        }
        var filename = Path.GetFileName(upload.FileName ?? "");
        if (!filename.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || filename.Length > 255)
        {
            return Access.Invalid("The dataset must be a .jsonl file (name up to 255 characters).", "file", "invalid_file_format");
        }
        if (upload.Length == 0 || upload.Length > options.Value.MaxFileBytes)
        {
            return Access.Invalid($"The file must be 1 to {options.Value.MaxFileBytes} bytes.", "file", "invalid_file_size");
        }
        // OpenAI's files API has no model: without one (and no FineTune:DefaultModel) the file is checked for
        // format only, and token counts and context length wait for a job that names the model.
        var modelName = form["model"].ToString() is { Length: > 0 } named ? named
            : options.Value.DefaultModel is { Length: > 0 } fallback ? fallback : null;
        BaseModelInfo? model = null;
        if (modelName is not null && (model = models.Find(modelName)) is null)
        {
            return Access.Invalid($"The base model '{modelName}' does not exist.", "model", "model_not_found");
        }

        var id = "file-" + Guid.CreateVersion7().ToString("N");
        var staging = storage.StagingPath(caller.TenantId, id);
        try
        {
            await using (var target = File.Create(staging))
            {
                await upload.CopyToAsync(target, ct);
            }
            DatasetSummary summary;
            if (model is null)
            {
                var format = storage.ValidateFormat(staging);
                if (!format.IsValid)
                {
                    return Access.Invalid($"The file is not a valid fine-tuning dataset: {FileTokenCounter.Describe(format.ErrorCount, format.Errors)}.",
                        "file", "invalid_file");
                }
                summary = DatasetSummary.Uncounted(format.ExampleCount);
            }
            else
            {
                var report = storage.Validate(staging, model);
                if (!report.IsValid)
                {
                    return Access.Invalid(
                        $"The file is not a valid fine-tuning dataset for {model.Name}: {FileTokenCounter.Describe(report.ErrorCount, report.Errors)}.",
                        "file", "invalid_file");
                }
                summary = DatasetSummary.Counted(model.Name, TokenCounts.From(report));
            }
            File.Move(staging, storage.PathOf(caller.TenantId, id));
            try
            {
                var file = await store.InsertAsync(caller.TenantId, id, filename, upload.Length, summary, ct);
                loggers.CreateLogger(nameof(FilesApi)).LogInformation(
                    "Tenant {TenantId} uploaded {FileId}: {Examples} examples, {Tokens} tokens with {Model}",
                    caller.TenantId, id, summary.Examples, summary.Tokens, summary.Model);
                return TypedResults.Ok(file.WithEstimate(await queue.SnapshotAsync(ct)));
            }
            catch
            {
                DatasetFiles.TryDelete(storage.PathOf(caller.TenantId, id));
                throw;
            }
        }
        finally
        {
            DatasetFiles.TryDelete(staging);
        }
    }

    private static async Task<IResult> List(HttpContext context, FileStore store, QueueEstimator queue, string? purpose, CancellationToken ct)
    {
        var files = await store.ListAsync(context.GetCaller()!.TenantId, ct);
        var snapshot = await queue.SnapshotAsync(ct);
        var selected = (purpose is null ? files : files.Where(f => f.Purpose == purpose)).Select(f => f.WithEstimate(snapshot)).ToList();
        return TypedResults.Ok(new ListResponse<FileObject>(selected, false)
        {
            FirstId = selected.FirstOrDefault()?.Id,
            LastId = selected.LastOrDefault()?.Id,
        });
    }

    private static async Task<IResult> Get(HttpContext context, string fileId, FileStore store, QueueEstimator queue, CancellationToken ct) =>
        await store.GetAsync(context.GetCaller()!.TenantId, fileId, ct) is { } file
            ? TypedResults.Ok(file.WithEstimate(await queue.SnapshotAsync(ct)))
            : Access.NotFound($"No such file: {fileId}.", "file_id");

    private static async Task<IResult> Delete(HttpContext context, string fileId, FileStore store, DatasetFiles storage, CancellationToken ct)
    {
        var tenant = context.GetCaller()!.TenantId;
        var (deleted, inUse) = await store.DeleteAsync(tenant, fileId, ct);
        if (inUse)
        {
            return ErrorResults.OpenAi(StatusCodes.Status409Conflict, "invalid_request_error",
                $"The file {fileId} is used by a fine-tuning job that has not finished; cancel the job first.", "file_id", "file_in_use");
        }
        if (!deleted)
        {
            return Access.NotFound($"No such file: {fileId}.", "file_id");
        }
        DatasetFiles.TryDelete(storage.PathOf(tenant, fileId));
        return TypedResults.Ok(new DeletedObject(fileId, "file", true));
    }
}
