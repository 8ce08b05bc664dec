using Platform.Scheduling.Admission;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class ServingPressureTests
{
    private static readonly ServingSettings Settings = new(TokensPerSequence: 1_000, TtftSloSeconds: 2, ReplicaBytes: 80L * Gib, FallbackTokensPerReplica: 10_000);

    private static ServingPressure Scaler() => new(new AutoscalerSettings(1, 8, 0.5, TimeSpan.FromMinutes(5)));

    private static ReplicaLoad Replica(string id, int enterpriseQueued, int enterpriseRunning, double? enterpriseP95,
        int consumerQueued = 0, int consumerRunning = 0, double? consumerP95 = null) =>
        new(id, 10_000, [
            new ClassLoad(PriorityClass.Enterprise, enterpriseQueued, enterpriseRunning, enterpriseP95),
            new ClassLoad(PriorityClass.Consumer, consumerQueued, consumerRunning, consumerP95),
        ]);

    [Fact]
    public void AGrowingEnterpriseQueueScalesOutAndReservesMemoryBeforeTheSloIsMissed()
    {
        var scaler = Scaler();
        // Two replicas of 10k tokens at 50 % target: 10 sequences of 1k tokens fit; 8 run now.
        var calm = scaler.Plan([Replica("a", 0, 4, 0.3), Replica("b", 0, 4, 0.3)], Settings, Now)!;
        Assert.Equal(2, calm.RecommendedReplicas);
        Assert.Equal(0, calm.EnterpriseReserveBytes);

        // The enterprise queue grows to 12 while TTFT p95 (0.8 s) is still inside the 2 s objective.
        var growing = scaler.Plan([Replica("a", 6, 5, 0.8), Replica("b", 6, 5, 0.8)], Settings, Now.AddSeconds(5))!;
        Assert.Equal(5, growing.RecommendedReplicas); // 22 sequences × 1k ÷ 5k per replica
        Assert.Equal(3 * 80L * Gib, growing.EnterpriseReserveBytes);
        Assert.True(growing.TtftP95Seconds < Settings.TtftSloSeconds);

        // That reserve shrinks the consumer share now.
        var pool = Pool("1x8xA100-80GB");
        var quotas = QuotaTable.Create([new TenantQuota("acme", 160L * Gib, null), new TenantQuota("consumers", 160L * Gib, null)], pool.CapacityBytes);
        var state = new PoolState(pool);
        state.Bind(Job("acme-r0", "acme", PriorityClass.Enterprise, 80, kind: WorkloadKind.InferenceReplica), ["node-00/gpu0"], Now);
        state.Bind(Job("acme-r1", "acme", PriorityClass.Enterprise, 80, kind: WorkloadKind.InferenceReplica), ["node-00/gpu1"], Now);
        var forecast = new Dictionary<string, long> { ["acme"] = 160L * Gib };
        var before = ConsumerAdmission.Compute(state, quotas, "consumers", forecast, 80L * Gib, 100_000, 6 * 100_000L, 6 * 100_000, calm.EnterpriseReserveBytes);
        var after = ConsumerAdmission.Compute(state, quotas, "consumers", forecast, 80L * Gib, 100_000, 6 * 100_000L, 6 * 100_000, growing.EnterpriseReserveBytes);
        Assert.Equal(6, before.ConsumerReplicas);
        Assert.Equal(3, after.ConsumerReplicas);
        Assert.Equal(3 * 80L * Gib, after.ReservedForEnterpriseBytes);
        Assert.True(after.Fraction < before.Fraction);
    }

    [Fact]
    public void ConsumerLoadScalesOutWithoutReservingForEnterprise()
    {
        var plan = Scaler().Plan([Replica("a", 0, 1, 0.2, consumerQueued: 9, consumerRunning: 4)], Settings, Now)!;
        Assert.Equal(3, plan.RecommendedReplicas); // 14k tokens ÷ 5k
        Assert.Equal(80L * Gib, plan.EnterpriseReserveBytes); // 1 of the 14 sequences is enterprise: ceil(2 × 1/14) = 1 replica
        Assert.Equal(13_000, plan.ConsumerDemandTokens);
        var consumersOnly = Scaler().Plan([Replica("a", 0, 0, null, consumerQueued: 9, consumerRunning: 4)], Settings, Now)!;
        Assert.Equal(0, consumersOnly.EnterpriseReserveBytes);
    }

    [Fact]
    public void EnterpriseQueuingPastTheObjectiveReservesAReplicaEvenWhenTotalsFit()
    {
        var plan = Scaler().Plan([Replica("a", 1, 1, 3.5)], Settings, Now)!;
        Assert.Equal(2, plan.RecommendedReplicas); // queue + p95 over the objective adds one
        Assert.Equal(80L * Gib, plan.EnterpriseReserveBytes);
        // Not while a replica is still starting: its capacity is not in the metrics yet.
        var starting = Scaler().Plan([Replica("a", 1, 1, 3.5)], Settings, Now, notReadyReplicas: 1)!;
        Assert.Equal(0, starting.EnterpriseReserveBytes);
    }

    [Fact]
    public void IdleReplicasScaleInAndReleaseTheReserveOnlyAfterTheCooldown()
    {
        var scaler = Scaler();
        var busy = scaler.Plan([Replica("a", 10, 10, 1), Replica("b", 0, 0, null)], Settings, Now)!;
        Assert.Equal(4, busy.RecommendedReplicas);
        Assert.Equal(2 * 80L * Gib, busy.EnterpriseReserveBytes);
        IReadOnlyList<ReplicaLoad> idle = [Replica("a", 0, 0, null), Replica("b", 0, 0, null), Replica("c", 0, 0, null), Replica("d", 0, 0, null)];
        Assert.Equal(4, scaler.Plan(idle, Settings, Now.AddMinutes(1))!.RecommendedReplicas);
        // Even with only the two original replicas reporting, the peak of the window holds.
        var held = scaler.Plan([Replica("a", 0, 0, null), Replica("b", 0, 0, null)], Settings, Now.AddMinutes(4))!;
        Assert.Equal(4, held.RecommendedReplicas);
        Assert.Equal(2 * 80L * Gib, held.EnterpriseReserveBytes);
        var later = scaler.Plan(idle, Settings, Now.AddMinutes(6))!;
        Assert.Equal(1, later.RecommendedReplicas);
        Assert.Equal(0, later.EnterpriseReserveBytes);
    }

    [Fact]
    public void AReplicaThatReportedNoClassYetCountsAsIdle()
    {
        // A clean-clone CI run scraped a fresh Inference replica before its per-class gauges existed: Max over nothing threw.
        var plan = Scaler().Plan([new ReplicaLoad("a", 10_000, [])], Settings, Now)!;
        Assert.Equal(1, plan.RecommendedReplicas);
        Assert.Equal(0, plan.EnterpriseReserveBytes);
    }

    [Fact]
    public void NoReportsGiveNoPlanAndUnknownCapacityUsesTheFallback()
    {
        Assert.Null(Scaler().Plan([], Settings, Now));
        var unknown = new ReplicaLoad("a", 0, [new ClassLoad(PriorityClass.Consumer, 0, 12, null)]);
        Assert.Equal(3, Scaler().Plan([unknown], Settings, Now)!.RecommendedReplicas); // 12k ÷ (10k × 0.5)
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsumerAdmission.Compute(
            new PoolState(Pool("1x1xA100-80GB")), QuotaTable.Create([], long.MaxValue), "c", new Dictionary<string, long>(), 1, 1, 0, 0, -1));
    }
}
