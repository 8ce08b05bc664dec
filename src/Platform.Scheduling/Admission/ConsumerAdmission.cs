using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Admission;

/// <summary>
/// Computes the consumer admission share from free and borrowable capacity. Capacity that
/// enterprise work is forecast to need within the reclaim horizon is excluded up front, so the
/// share shrinks (and consumer replicas drain) before enterprise requests arrive rather than after
/// their SLOs are missed.
/// </summary>
public static class ConsumerAdmission
{
    /// <summary>
    /// <paramref name="forecastEnterpriseBytes"/>: per tenant, memory its enterprise-class work is forecast
    /// to need within the horizon. <paramref name="readyConsumerTokens"/>: KV tokens of consumer replicas
    /// serving now; <paramref name="forecastConsumerTokens"/>: forecast consumer demand in KV tokens.
    /// <paramref name="servingReserveBytes"/>: memory enterprise-class serving load is asking for beyond the
    /// replicas that run now (<see cref="Autoscaling.ServingPlan.EnterpriseReserveBytes"/>), held back as well.
    /// </summary>
    public static AdmissionShare Compute(
        PoolState state,
        QuotaTable quotas,
        string consumerTenant,
        IReadOnlyDictionary<string, long> forecastEnterpriseBytes,
        long consumerReplicaBytes,
        long tokensPerConsumerReplica,
        long readyConsumerTokens,
        double forecastConsumerTokens,
        long servingReserveBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(servingReserveBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(consumerReplicaBytes);
        var capacity = state.Inventory.Devices.Where(state.IsSchedulable).Sum(d => d.MemoryBytes);
        var consumerQuota = quotas.For(consumerTenant);
        var held = 0L;
        var reserved = 0L;
        foreach (var tenant in state.Running.Where(w => w.Request.TenantId != consumerTenant).GroupBy(w => w.Request.TenantId))
        {
            // Higher classes cannot be evicted by consumer work; lower classes only inside their guarantee.
            var higher = tenant.Where(w => w.Request.Priority > PriorityClass.Consumer).Sum(w => w.ChargedBytes);
            var lower = tenant.Where(w => w.Request.Priority <= PriorityClass.Consumer).Sum(w => w.ChargedBytes);
            var forecast = forecastEnterpriseBytes.GetValueOrDefault(tenant.Key);
            reserved += Math.Max(0, forecast - higher);
            var guaranteeLeft = Math.Max(0, quotas.For(tenant.Key).GuaranteedBytes - Math.Max(higher, forecast));
            held += Math.Max(higher, forecast) + Math.Min(lower, guaranteeLeft);
        }
        foreach (var (tenant, forecast) in forecastEnterpriseBytes)
        {
            if (tenant != consumerTenant && state.Running.All(w => w.Request.TenantId != tenant))
            {
                reserved += forecast;
                held += forecast;
            }
        }
        reserved += servingReserveBytes;
        held += servingReserveBytes;
        var available = Math.Max(0, capacity - held);
        var consumerBytes = Math.Min(consumerQuota.CeilingBytes, Math.Max(Math.Min(consumerQuota.GuaranteedBytes, capacity), available));
        var replicas = (int)(consumerBytes / consumerReplicaBytes);
        var admissible = Math.Min(readyConsumerTokens, replicas * tokensPerConsumerReplica);
        var fraction = forecastConsumerTokens <= 0 ? 1.0 : Math.Min(1.0, admissible / forecastConsumerTokens);
        return new AdmissionShare(consumerBytes, replicas, admissible, fraction, reserved);
    }
}
