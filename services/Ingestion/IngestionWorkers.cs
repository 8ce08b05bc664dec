using Platform.Ingestion.Pipeline;

namespace Platform.Services.Ingestion;

/// <summary>Runs <see cref="IngestionOptions.Workers"/> worker loops for the life of the host.</summary>
public sealed class IngestionWorkers(IngestionWorker worker, IngestionOptions options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var host = Environment.MachineName + ":" + Environment.ProcessId;
        var loops = Enumerable.Range(0, options.Workers).Select(i => Task.Run(() => worker.RunAsync($"{host}:{i}", stoppingToken), stoppingToken));
        return Task.WhenAll(loops);
    }
}
