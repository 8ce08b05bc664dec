using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.FineTune.Pool;
using Platform.Services.FineTune.Contracts;
using Platform.Services.FineTune.Data;

namespace Platform.Services.FineTune.Pool;

/// <summary>Takes one consistent look at the fine-tune queue and the observed throughput, for the estimates of one response.</summary>
public sealed class QueueEstimator(QueueStore store, IOptions<FineTuneOptions> options, TimeProvider clock)
{
    public async Task<QueueSnapshot> SnapshotAsync(CancellationToken ct)
    {
        var estimates = options.Value.Estimates;
        return new QueueSnapshot(await store.ActiveJobsAsync(ct), await store.ThroughputAsync(estimates.HistoryDays, ct),
            estimates.DefaultTokensPerSecond, clock.GetUtcNow());
    }
}

/// <summary>The queue at one moment; see <see cref="PoolEstimate"/> for what the figures mean.</summary>
public sealed class QueueSnapshot(IReadOnlyList<ActiveJob> active, IReadOnlyDictionary<string, double> throughput, double fallback, DateTimeOffset now)
{
    private int Slots => Math.Max(1, active.Count(j => j.Status == JobStatus.Running));

    /// <summary>The estimate for an unfinished job; null once it has finished.</summary>
    public PoolEstimate? For(JobRow job)
    {
        if (JobStatus.IsFinal(job.Status))
        {
            return null;
        }
        var (rate, basis) = Rate(job.Model);
        var own = new QueuedWork(job.Id, job.EstimatedTokens - job.TrainedTokens, rate);
        if (job.Status == JobStatus.Running)
        {
            return new PoolEstimate(0, Math.Round(own.Seconds, 1), Math.Round(rate, 1), basis, 0);
        }
        // Running jobs and those queued before it; a job missing from the snapshot (it just changed) is behind all.
        var position = active.ToList().FindIndex(j => j.Id == job.Id);
        var ahead = active.Where((j, i) => j.Id != job.Id && (j.Status == JobStatus.Running || position < 0 || i < position)).ToList();
        return Estimate(ahead, own, basis);
    }

    /// <summary>The estimate for a job submitted now on <paramref name="model"/> with <paramref name="tokens"/> training tokens: behind every unfinished job.</summary>
    public PoolEstimate ForNewJob(string model, long tokens)
    {
        var (rate, basis) = Rate(model);
        return Estimate(active, new QueuedWork("new", tokens, rate), basis);
    }

    /// <summary>Unix seconds when <paramref name="estimate"/> has the job finished.</summary>
    public long? FinishOf(PoolEstimate? estimate) =>
        estimate is null ? null : now.AddSeconds(estimate.QueueWaitSeconds + estimate.TrainingSeconds).ToUnixTimeSeconds();

    private PoolEstimate Estimate(IReadOnlyCollection<ActiveJob> ahead, QueuedWork own, string basis)
    {
        var work = ahead.Select(j => new QueuedWork(j.Id, j.EstimatedTokens - j.TrainedTokens, Rate(j.Model).TokensPerSecond));
        return new PoolEstimate(Math.Round(QueueEstimate.WaitSeconds(work, Slots), 1), Math.Round(own.Seconds, 1), Math.Round(own.TokensPerSecond, 1),
            basis, ahead.Count);
    }

    private (double TokensPerSecond, string Basis) Rate(string model) =>
        throughput.TryGetValue(model, out var observed) && observed > 0 ? (observed, "observed") : (fallback, "default");
}
