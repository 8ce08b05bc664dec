using Platform.Scheduling.Admission;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

internal enum ReplicaPhase { Pending, Starting, Ready, Draining, Gone }

internal sealed class SimRequest(TraceRequest trace, double serviceSeconds, double sloSeconds)
{
    public TraceRequest Trace { get; } = trace;
    public double ServiceSeconds { get; } = serviceSeconds;
    public double SloSeconds { get; } = sloSeconds;
    public long Tokens => Trace.ContextTokens + Trace.GeneratedTokens;
    public int Epoch { get; set; }
    public SimReplica? Replica { get; set; }
}

internal sealed class SimReplica(string id, WorkloadRequest request)
{
    public string Id { get; } = id;
    public WorkloadRequest Request { get; } = request;
    public ReplicaPhase Phase { get; set; } = ReplicaPhase.Pending;
    public long UsedTokens { get; set; }
    public List<SimRequest> Active { get; } = [];
    public int Epoch { get; set; }
}

internal sealed class SimService
{
    public SimService(TraceService spec, PriorityClass priority, long replicaBytes, SimulationOptions options)
    {
        Spec = spec;
        Priority = priority;
        ReplicaBytes = replicaBytes;
        Autoscaler = new ReplicaAutoscaler(new AutoscalerSettings(spec.MinReplicas, spec.MaxReplicas, options.TargetUtilization, options.ScaleInStabilization));
        // Consumer bursts are absorbed by the admission share; enterprise bursts must be served as they come.
        var smoothing = priority <= PriorityClass.Consumer ? (int)Math.Max(1, Math.Round(options.ConsumerDemandSmoothingSeconds / options.TickSeconds)) : 1;
        Forecaster = new DemandForecaster(peakWindow: 60, smoothing: smoothing);
    }

    public TraceService Spec { get; }
    public PriorityClass Priority { get; }
    public long ReplicaBytes { get; }
    public ReplicaAutoscaler Autoscaler { get; }
    public DemandForecaster Forecaster { get; }
    public List<SimReplica> Replicas { get; } = [];
    public LinkedList<SimRequest> Queue { get; } = new();
    public Queue<(double At, double Ratio)> RecentLatency { get; } = new();
    public double OfferedTokenSeconds { get; set; }
    public long AdmissibleTokens { get; set; } = long.MaxValue;
    public int NextReplica { get; set; }

    public bool IsEnterprise => Priority > PriorityClass.Consumer;
    public long QueuedTokens => Queue.Sum(r => r.Tokens);
    public long InFlightTokens => Replicas.Sum(r => r.UsedTokens);
    public long ReadyTokens => Replicas.Count(r => r.Phase == ReplicaPhase.Ready) * Spec.KvTokensPerReplica;
    public int LiveReplicas => Replicas.Count(r => r.Phase is ReplicaPhase.Pending or ReplicaPhase.Starting or ReplicaPhase.Ready);

    public SimRequest NewRequest(TraceRequest r) => new(r,
        r.ContextTokens / Spec.PrefillTokensPerSecond + r.GeneratedTokens * Spec.TpotMs / 1000.0,
        (Spec.TtftSloMs + r.GeneratedTokens * Spec.TpotSloMs) / 1000.0);
}

internal sealed class SimFineTune(int index, TraceFineTune trace, WorkloadRequest request)
{
    public int Index { get; } = index;
    public TraceFineTune Trace { get; } = trace;
    public WorkloadRequest Request { get; } = request;
    public double RemainingSeconds { get; set; } = trace.DurationSeconds;
    public double RunStart { get; set; }
    public double Overhead { get; set; }
    public bool Resumed { get; set; }
    public bool Done { get; set; }
    public bool Rejected { get; set; }
    public int Epoch { get; set; }
}
