using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Gateway.Replicas;

/// <summary>Where the gateway reads the inference replica set the Scheduler publishes (<c>Gateway:Replicas</c>).</summary>
public sealed class ReplicaOptions
{
    public const string Section = "Gateway:Replicas";

    /// <summary>Redis hash of the live replicas: field = base URL, value = JSON <c>{url, workload_id, model, device, ready, source}</c>.</summary>
    [Required, MinLength(1)]
    public string RedisKey { get; set; } = "pool:inference:replicas";

    /// <summary>How often the hash is read (the Scheduler publishes no change notice, so it is polled).</summary>
    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 2_000;
}
