using Platform.Inference.Training;
using Platform.Services.FineTune.Models;

namespace Platform.Services.FineTune.Data;

/// <summary>
/// A stored file's token counts with one base model: read from finetune.file_token_counts, or
/// tokenized now (length against the model's context included) and remembered when the file is valid.
/// </summary>
public sealed class FileTokenCounter(FileStore files, DatasetFiles storage)
{
    /// <summary>The counts, or the report of a file that is not valid for <paramref name="model"/>; both null when the file is gone.</summary>
    public async Task<(TokenCounts? Counts, DatasetReport? Invalid)> CountAsync(Guid tenantId, string fileId, BaseModelInfo model,
        CancellationToken ct)
    {
        if (await files.GetCountsAsync(tenantId, fileId, model.Name, ct) is { } cached)
        {
            return (cached, null);
        }
        var path = storage.PathOf(tenantId, fileId);
        if (!File.Exists(path))
        {
            return (null, null);
        }
        var report = storage.Validate(path, model);
        if (!report.IsValid)
        {
            return (null, report);
        }
        var counts = TokenCounts.From(report);
        await files.SaveCountsAsync(tenantId, fileId, model.Name, counts, ct);
        return (counts, null);
    }

    /// <summary>"N invalid line(s): line 3: …; line 9: …" (or "it has no examples").</summary>
    public static string Describe(int errorCount, IReadOnlyList<DatasetError> errors) => errorCount == 0
        ? "it has no examples"
        : $"{errorCount} invalid line(s): " + string.Join("; ", errors) + (errorCount > errors.Count ? "; …" : "");
}
