namespace Platform.Scheduling.Simulation;

/// <summary>Outcome of one simulation; the CLI prints it as snake_case JSON.</summary>
public sealed record SimulationResult
{
    /// <summary>Policy simulated.</summary>
    public required string Policy { get; init; }

    /// <summary>Devices in the pool.</summary>
    public required int PoolGpus { get; init; }

    /// <summary>Last arrival in the trace; utilisation is measured over [0, horizon).</summary>
    public required double HorizonS { get; init; }

    /// <summary>Simulated time including the drain after the horizon.</summary>
    public required double SimulatedS { get; init; }

    /// <summary>Enterprise requests in the trace.</summary>
    public required int EnterpriseRequests { get; init; }

    /// <summary>Share of enterprise requests that finished within their latency SLO.</summary>
    public required double EnterpriseSloAttainment { get; init; }

    /// <summary>Per enterprise tenant.</summary>
    public required IReadOnlyDictionary<string, double> EnterpriseSloAttainmentByTenant { get; init; }

    /// <summary>p99 end-to-end latency of enterprise requests.</summary>
    public required double EnterpriseLatencyP99S { get; init; }

    /// <summary>Consumer requests offered at the gateway.</summary>
    public required int ConsumerRequests { get; init; }

    /// <summary>Share of consumer requests the admission share let in.</summary>
    public required double ConsumerAdmittedFraction { get; init; }

    /// <summary>Time-average share of GPU memory allocated to workloads over the horizon.</summary>
    public required double GpuUtilization { get; init; }

    /// <summary>Like <see cref="GpuUtilization"/> but replicas count only the KV share in use.</summary>
    public required double GpuBusyFraction { get; init; }

    /// <summary>Fine-tunes in the trace.</summary>
    public required int Finetunes { get; init; }

    /// <summary>Fine-tunes that completed before the drain limit.</summary>
    public required int FinetunesCompleted { get; init; }

    /// <summary>Fine-tunes rejected as never placeable.</summary>
    public required int FinetunesRejected { get; init; }

    /// <summary>Median job completion time (arrival to finish); unfinished fine-tunes count with their time so far.</summary>
    public required double FinetuneJctP50S { get; init; }

    /// <summary>90th percentile job completion time.</summary>
    public required double FinetuneJctP90S { get; init; }

    /// <summary>Mean job completion time.</summary>
    public required double FinetuneJctMeanS { get; init; }

    /// <summary>Workloads preempted.</summary>
    public required int Preemptions { get; init; }

    /// <summary>Of which fine-tunes (checkpointed and requeued).</summary>
    public required int PreemptedFinetunes { get; init; }

    /// <summary>Of which inference replicas.</summary>
    public required int PreemptedReplicas { get; init; }

    /// <summary>Preempted workloads per victim tenant.</summary>
    public required IReadOnlyDictionary<string, int> PreemptionsByTenant { get; init; }

    /// <summary>Per-interval view of the run when <see cref="SimulationOptions.TimelineSeconds"/> is set; otherwise null.</summary>
    public IReadOnlyList<TimelineSample>? Timeline { get; init; }
}
