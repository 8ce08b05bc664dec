using Platform.Services.FineTune.Contracts;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Pool;

namespace Platform.Services.FineTune.Apis;

/// <summary>Adds the queue snapshot's estimates to the objects the API returns.</summary>
internal static class Estimates
{
    public static JobObject ToObject(this JobRow job, QueueSnapshot queue)
    {
        var estimate = queue.For(job);
        return job.ToObject() with { Estimate = estimate, EstimatedFinish = queue.FinishOf(estimate) };
    }

    public static FileObject WithEstimate(this FileObject file, QueueSnapshot queue) =>
        file.Summary is { Model: { } model, EstimatedTrainingTokens: { } tokens }
            ? file with { Summary = file.Summary with { Estimate = queue.ForNewJob(model, tokens) } }
            : file;
}
