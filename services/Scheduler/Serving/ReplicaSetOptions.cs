using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Scheduler.Serving;

/// <summary>
/// The inference replicas the scheduler scales from the serving metrics (section <c>Scheduler:Replicas</c>). The replica
/// count's bounds are <see cref="ServingOptions.MinReplicas"/> and <see cref="ServingOptions.MaxReplicas"/>, counted with the
/// Inference service of <c>Services:inference</c> when it runs.
/// </summary>
public sealed class ReplicaSetOptions
{
    /// <summary>
    /// The model the scaled replicas serve: a checkpoint folder under <c>Platform:ModelsDir</c>. Empty (default): the
    /// recommendation is only reported, no replica is started or stopped.
    /// </summary>
    [RegularExpression("^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    public string Model { get; set; } = "";

    /// <summary>Tenant the replicas are charged to (quotas and borrowing); the empty id stands for the platform itself.</summary>
    public Guid TenantId { get; set; }

    /// <summary>Priority class of the replicas: what they may preempt and what may preempt them.</summary>
    [RegularExpression("^(?i)(enterprise-guaranteed|enterprise|consumer|batch)$")]
    public string Priority { get; set; } = "enterprise";

    /// <summary>KV-cache budget of one replica, passed to it as <c>Inference:KvCacheBytes</c> and part of its memory estimate.</summary>
    [Range(1024, long.MaxValue)]
    public long KvCacheBytes { get; set; } = 256L << 20;

    /// <summary>Runtime memory of one replica beyond weights and KV cache (CUDA context, allocator slack).</summary>
    [Range(0, long.MaxValue)]
    public long OverheadBytes { get; set; } = 1L << 30;

    /// <summary>
    /// How long the desired count must stay below the actual one before a running replica is stopped. This comes on top of
    /// the recommendation's own stabilisation window (<see cref="ServingOptions.ScaleInCooldownSeconds"/>).
    /// </summary>
    [Range(0, 86_400)]
    public int ScaleInCooldownSeconds { get; set; } = 60;

    /// <summary>Seconds a replica takes to load: the work lost when one is preempted.</summary>
    [Range(0, 86_400)]
    public double WarmupSeconds { get; set; } = 30;

    /// <summary>
    /// Place the Inference service of <c>Services:inference</c> (the one <c>./platform up</c> starts) in the pool as a replica
    /// on this host's CPU device, sized from the models it loads, so its memory is accounted and it is listed as a replica.
    /// </summary>
    public bool RegisterService { get; set; } = true;

    /// <summary>A readiness check (<c>GET /health/ready</c>) that takes longer counts as not ready.</summary>
    [Range(0.1, 60)]
    public double ProbeTimeoutSeconds { get; set; } = 2;
}
