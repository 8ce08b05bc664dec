using Platform.Scheduling.Inventory;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;

namespace Platform.Scheduling.Simulation;

/// <summary>Builds quotas and policies for a trace — the same objects the Scheduler service builds from configuration.</summary>
public static class SimulationSetup
{
    /// <summary>Policy names accepted by <see cref="Policy"/>.</summary>
    public static IReadOnlyList<string> PolicyNames { get; } = ["fifo", "static-partition", "platform"];

    /// <summary>Quotas from the trace's tenant lines (refused if they conflict with the pool).</summary>
    public static QuotaTable Quotas(SimulationTrace trace, PoolInventory pool) =>
        QuotaTable.Create(
            trace.Tenants.Select(t => new TenantQuota(t.Id, Bytes(t.GuaranteedGib), t.BorrowingLimitGib is { } b ? Bytes(b) : null)),
            pool.CapacityBytes);

    /// <summary>The named policy.</summary>
    public static IPoolPolicy Policy(string name, PoolInventory pool, QuotaTable quotas) => name switch
    {
        "fifo" => new FifoPolicy(),
        "static-partition" => new StaticPartitionPolicy(pool, quotas),
        "platform" => new PlatformPolicy(quotas),
        _ => throw new SchedulingInputException($"unknown policy '{name}'; use {string.Join(", ", PolicyNames)}"),
    };

    private static long Bytes(double gib) => (long)(gib * (1L << 30));
}
