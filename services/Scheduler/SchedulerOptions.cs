using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Scheduler;

/// <summary>Settings of the GPU pool scheduler (section <c>Scheduler</c>).</summary>
public sealed class SchedulerOptions
{
    /// <summary>Id of this host's node in the pool (its CPU is one device; its GPUs are added when nvidia-smi finds any).</summary>
    [Required, StringLength(200, MinimumLength = 1)]
    public string NodeId { get; set; } = Environment.MachineName;

    /// <summary>Memory of this host's CPU device; 0 takes the memory available to the process.</summary>
    [Range(0, long.MaxValue)]
    public long LocalMemoryBytes { get; set; }

    /// <summary>Put this host's CPU in the pool as one device (off where the scheduler runs in a cluster Pod and does no work itself).</summary>
    public bool CpuDevice { get; set; } = true;

    /// <summary>
    /// Who carries placements out: <c>none</c> (default; the services run themselves, as under <c>./platform up</c>),
    /// <c>local</c> (child processes on this host) or <c>kubernetes</c> (Pods and Jobs).
    /// </summary>
    [RegularExpression("^(?i)(none|local|kubernetes)$")]
    public string Backend { get; set; } = "none";

    /// <summary>Run <see cref="NvidiaSmiPath"/> at start and add this host's GPUs.</summary>
    public bool DetectGpus { get; set; } = true;

    /// <summary>The nvidia-smi executable.</summary>
    [Required]
    public string NvidiaSmiPath { get; set; } = "nvidia-smi";

    /// <summary>
    /// NVLink groups of this host's GPUs, one entry per group of nvidia-smi indexes (<c>"0,1,2,3"</c>). Empty: read
    /// them from <c>nvidia-smi topo -m</c>; GPUs in no group are each their own group.
    /// </summary>
    public List<string> NvLinkGroups { get; set; } = [];

    /// <summary>Nodes known from configuration (no heartbeats; they are always schedulable).</summary>
    public List<ConfiguredNodeOptions> Nodes { get; set; } = [];

    /// <summary>Workers are expected to heartbeat this often.</summary>
    [Range(1, 3600)]
    public int HeartbeatIntervalSeconds { get; set; } = 10;

    /// <summary>Missed heartbeats after which a worker node is drained and its work rescheduled.</summary>
    [Range(1, 100)]
    public int MissedHeartbeats { get; set; } = 3;

    /// <summary>The background loop runs a scheduling cycle this often.</summary>
    [Range(1, 3600)]
    public int CycleSeconds { get; set; } = 5;

    /// <summary>Lifetime of the published admission share; if the scheduler stops, the gateway falls back to its default.</summary>
    [Range(1, 86400)]
    public int AdmissionTtlSeconds { get; set; } = 30;

    /// <summary>Pool tenant whose consumer-class replicas serve consumer traffic (the admission share is computed for it).</summary>
    public Guid ConsumerTenantId { get; set; }

    /// <summary>Memory of one consumer inference replica, for the admission share.</summary>
    [Range(1, long.MaxValue)]
    public long ConsumerReplicaBytes { get; set; } = 16L << 30;

    /// <summary>KV tokens one consumer replica can hold, for the admission share.</summary>
    [Range(1, long.MaxValue)]
    public long ConsumerReplicaTokens { get; set; } = 65_536;

    /// <summary>Per-tenant quotas.</summary>
    public List<QuotaOptions> Quotas { get; set; } = [];
}

/// <summary>One tenant's quota.</summary>
public sealed class QuotaOptions
{
    /// <summary>Tenant.</summary>
    public Guid TenantId { get; set; }

    /// <summary>Guaranteed GPU memory in GiB.</summary>
    [Range(0, double.MaxValue)]
    public double GuaranteedGib { get; set; }

    /// <summary>How much beyond the guarantee it may borrow, in GiB; null = no limit.</summary>
    [Range(0, double.MaxValue)]
    public double? BorrowingLimitGib { get; set; }
}

/// <summary>A node of the configured inventory (<c>Scheduler:Nodes</c>).</summary>
public sealed class ConfiguredNodeOptions
{
    /// <summary>Node id (1 to 200 characters), unique in the pool.</summary>
    public string Id { get; set; } = "";

    /// <summary>Its GPUs, in index order.</summary>
    public List<ConfiguredGpuOptions> Gpus { get; set; } = [];
}

/// <summary>One GPU entry of a configured node; <see cref="Count"/> repeats it.</summary>
public sealed class ConfiguredGpuOptions
{
    /// <summary>Model, e.g. <c>H100-SXM5-80GB</c>.</summary>
    public string Model { get; set; } = "";

    /// <summary>Device memory in GiB.</summary>
    public double MemoryGib { get; set; }

    /// <summary>How many identical GPUs this entry stands for (default 1).</summary>
    public int Count { get; set; } = 1;

    /// <summary>The memory of each MIG instance configured on the GPU, in GiB; empty without MIG.</summary>
    public List<double> MigSliceGib { get; set; } = [];

    /// <summary>MPS client limit; 0 = no limit.</summary>
    public int MpsShares { get; set; }

    /// <summary>NVLink group name within the node (GPUs with the same name form one gang domain); empty: each GPU its own group.</summary>
    public string? NvLinkGroup { get; set; }
}
