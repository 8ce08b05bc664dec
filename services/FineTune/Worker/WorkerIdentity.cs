namespace Platform.Services.FineTune.Worker;

/// <summary>This host's worker id, recorded on the jobs it holds (one per host, so two hosts in one process stay distinct).</summary>
public sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
}
