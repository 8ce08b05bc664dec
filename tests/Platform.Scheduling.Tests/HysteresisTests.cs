using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.Simulation;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class HysteresisTests
{
    [Fact]
    public void MemoryFreedByAReclaimIsHeldForTheReclaimerNotReborrowed()
    {
        // One 80 GiB device. "owner" is guaranteed it; "borrower" (a higher class) borrowed it while idle.
        var pool = Pool("1x1xA100-80GB");
        var quotas = QuotaTable.Create([new TenantQuota("owner", 80 * Gib, 0), new TenantQuota("borrower", 0, 80 * Gib)], pool.CapacityBytes);
        var policy = new PlatformPolicy(quotas);
        var state = new PoolState(pool);
        state.Bind(Job("borrowed", "borrower", PriorityClass.Enterprise, 75, kind: WorkloadKind.InferenceReplica), ["node-00/gpu0"], Now);

        var reclaim = new PendingWorkload(Job("owned", "owner", PriorityClass.Batch, 75), Now);
        var first = SchedulingCycle.Run(policy, state, [reclaim], Now).Single().Decision;
        Assert.Equal(["borrowed"], Assert.IsType<SchedulingDecision.Preempt>(first).VictimIds);
        state.Release("borrowed");

        // Next cycle: the borrower's replacement replica is considered first (higher class), but the
        // freed memory is held for the reclaimer, so it waits and the reclaimer is placed.
        var again = new PendingWorkload(Job("borrowed-2", "borrower", PriorityClass.Enterprise, 75, kind: WorkloadKind.InferenceReplica), Now);
        var second = SchedulingCycle.Run(policy, state, [again, reclaim], Now.AddSeconds(5)).ToDictionary(d => d.Pending.Request.Id, d => d.Decision);
        Assert.IsType<SchedulingDecision.Wait>(second["borrowed-2"]);
        Assert.IsType<SchedulingDecision.Place>(second["owned"]);
        Assert.Equal(1, policy.Nominations.Count);

        // The owner now runs inside its guarantee: the borrower cannot preempt it, and the nomination is gone.
        var third = SchedulingCycle.Run(policy, state, [again], Now.AddSeconds(10)).Single().Decision;
        Assert.IsType<SchedulingDecision.Wait>(third);
        Assert.Equal(0, policy.Nominations.Count);
    }

    [Fact]
    public void AHigherClassRequestInsideItsGuaranteeMayStillUseHeldMemory()
    {
        var pool = Pool("1x2xA100-80GB");
        var quotas = QuotaTable.Create([new TenantQuota("owner", 80 * Gib, 0), new TenantQuota("vip", 80 * Gib, 0), new TenantQuota("borrower", 0, 160 * Gib)], pool.CapacityBytes);
        var policy = new PlatformPolicy(quotas);
        var state = new PoolState(pool);
        state.Bind(Job("b1", "borrower", PriorityClass.Consumer, 75, kind: WorkloadKind.InferenceReplica), ["node-00/gpu0"], Now);
        state.Bind(Job("b2", "borrower", PriorityClass.Consumer, 75, kind: WorkloadKind.InferenceReplica), ["node-00/gpu1"], Now);
        var reclaim = new PendingWorkload(Job("owned", "owner", PriorityClass.Batch, 75), Now);
        var victims = Assert.IsType<SchedulingDecision.Preempt>(SchedulingCycle.Run(policy, state, [reclaim], Now).Single().Decision).VictimIds;
        state.Release(Assert.Single(victims));

        var vip = new PendingWorkload(Job("vip-1", "vip", PriorityClass.EnterpriseGuaranteed, 75, kind: WorkloadKind.InferenceReplica), Now);
        var decisions = SchedulingCycle.Run(policy, state, [vip, reclaim], Now.AddSeconds(5)).ToDictionary(d => d.Pending.Request.Id, d => d.Decision);
        Assert.IsType<SchedulingDecision.Place>(decisions["vip-1"]);
        Assert.IsNotType<SchedulingDecision.Place>(decisions["owned"]); // it reclaims the other borrowed device next
    }

    [Fact]
    public void TheDiurnalEnvelopeHasANightFloorAndTilesTheTraceOverTheDay()
    {
        var day = new DiurnalEnvelope(PeriodSeconds: 4000, Floor: 0.1, PeakAt: 0.5);
        Assert.Equal(0.1, day.At(0), 6);
        Assert.Equal(1.0, day.At(2000), 6);
        Assert.Equal(0.55, day.At(1000), 6);
        var hour = Enumerable.Range(0, 1000).Select(i => new TraceRequest(i, "t", 100, 10)).ToList();
        var shaped = day.Apply(hour, 4000, new Random(1));
        Assert.All(shaped, r => Assert.InRange(r.TimeSeconds, 0, 3999));
        var night = shaped.Count(r => r.TimeSeconds < 500);
        var noon = shaped.Count(r => r.TimeSeconds is >= 1750 and < 2250);
        Assert.True(noon > 4 * night, $"noon {noon} should be well above night {night}");
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiurnalEnvelope(100, 1.5, 0.5).At(0));
    }
}
