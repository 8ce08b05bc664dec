using Microsoft.Extensions.Logging;
using Platform.Ingestion.Storage;

namespace Platform.Ingestion.Pipeline;

/// <summary>
/// One worker loop: claim a job, process it, repeat; sleep when the queue is empty. Cancellation
/// stops the loop where it is without touching the job — exactly what a killed process does — so
/// the lease lapses and another worker takes the job over.
/// </summary>
public sealed class IngestionWorker(JobQueue queue, IngestionProcessor processor, IngestionEvents events, IngestionOptions options,
    TimeProvider clock, ILogger<IngestionWorker> logger)
{
    public async Task RunAsync(string workerId, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var abandoned in await queue.DeadLetterAbandonedAsync(ct))
                {
                    await events.PublishAsync(abandoned.TenantId, new IngestionEvent("document.status", abandoned.KnowledgeBaseId, abandoned.DocumentId,
                        DocumentStatus.Failed, "failed", Reason: $"The worker stopped {abandoned.Attempts} times."));
                }
                var job = await queue.ClaimAsync(workerId, options.Lease, ct);
                if (job is null)
                {
                    await Task.Delay(options.PollInterval, clock, ct);
                    continue;
                }
                await processor.ProcessAsync(job, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException e) when (e.ObjectName.StartsWith("Npgsql", StringComparison.Ordinal))
            {
                // The host disposed the data source while shutting down: nothing more can be claimed.
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Ingestion worker {WorkerId} hit an error; continuing", workerId);
                await Task.Delay(options.PollInterval, clock, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
