using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class ReplicaSetPlannerTests
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(60);

    private static ReplicaSetSpec Spec(int min = 1, int max = 4, PriorityClass priority = PriorityClass.Consumer, double gib = 20) =>
        new("llama-3-8b", "serving", priority, (long)(gib * Gib), min, max, Cooldown);

    private static ReplicaMember Member(int n, ReplicaPhase phase, int placedSecondsAgo = 600) =>
        new($"serving/llama-3-8b/{n}", phase, Now.AddSeconds(-placedSecondsAgo));

    [Fact]
    public void WithoutMetricsTheSetKeepsItsMinimumAndCountsReplicasRunOutsideIt()
    {
        var planner = new ReplicaSetPlanner(Spec(min: 2));
        var start = planner.Plan(null, [], outsideReplicas: 0, Now);
        Assert.Equal(["serving/llama-3-8b/1", "serving/llama-3-8b/2"], start.Add.Select(r => r.Id));
        Assert.All(start.Add, r =>
        {
            Assert.Equal(WorkloadKind.InferenceReplica, r.Kind);
            Assert.Equal(PriorityClass.Consumer, r.Priority);
            Assert.Equal("serving", r.TenantId);
            Assert.Equal(20 * Gib, r.MemoryPerDeviceBytes);
        });
        // A service the launcher started serves the same traffic: one replica of the set is enough for the minimum.
        var withOutside = new ReplicaSetPlanner(Spec(min: 2)).Plan(null, [], outsideReplicas: 1, Now);
        Assert.Equal(["serving/llama-3-8b/1"], withOutside.Add.Select(r => r.Id));
    }

    [Fact]
    public void ScaleOutIsImmediateBoundedByTheMaximumAndReusesNoIdStillInUse()
    {
        var planner = new ReplicaSetPlanner(Spec(max: 4));
        var members = new[] { Member(1, ReplicaPhase.Ready), Member(2, ReplicaPhase.Terminating) };
        var change = planner.Plan(9, members, outsideReplicas: 0, Now);
        Assert.Equal(4, change.Desired);
        Assert.Equal(["serving/llama-3-8b/3", "serving/llama-3-8b/4", "serving/llama-3-8b/5"], change.Add.Select(r => r.Id));
        Assert.Empty(change.Remove);
        // A pending replica counts as asked for: no second request for the same capacity.
        Assert.True(planner.Plan(2, [Member(1, ReplicaPhase.Ready), Member(2, ReplicaPhase.Pending)], 0, Now).IsEmpty);
    }

    [Fact]
    public void ScaleInWaitsForTheCooldownStopsTheNewestFirstAndNeverGoesBelowTheMinimum()
    {
        var planner = new ReplicaSetPlanner(Spec(min: 1));
        var members = new[] { Member(1, ReplicaPhase.Ready, 900), Member(2, ReplicaPhase.Ready, 300), Member(3, ReplicaPhase.Ready, 100) };
        var first = planner.Plan(1, members, 0, Now);
        Assert.True(first.IsEmpty);
        Assert.Contains("cooldown", first.Reason);
        Assert.True(planner.Plan(1, members, 0, Now + Cooldown - TimeSpan.FromSeconds(1)).IsEmpty);
        var after = planner.Plan(0, members, 0, Now + Cooldown);
        Assert.Equal(1, after.Desired); // 0 recommended, but the minimum is 1
        Assert.Equal(["serving/llama-3-8b/3", "serving/llama-3-8b/2"], after.Remove);
        Assert.Empty(after.Add);
    }

    [Fact]
    public void DemandReturningDuringTheCooldownRestartsIt()
    {
        var planner = new ReplicaSetPlanner(Spec());
        var members = new[] { Member(1, ReplicaPhase.Ready), Member(2, ReplicaPhase.Ready) };
        Assert.True(planner.Plan(1, members, 0, Now).IsEmpty);
        Assert.True(planner.Plan(2, members, 0, Now + TimeSpan.FromSeconds(50)).IsEmpty); // back at 2: the clock resets
        Assert.True(planner.Plan(1, members, 0, Now + TimeSpan.FromSeconds(70)).IsEmpty);
        Assert.Equal(["serving/llama-3-8b/2"], planner.Plan(1, members, 0, Now + TimeSpan.FromSeconds(130)).Remove);
    }

    [Fact]
    public void PendingReplicasAreDroppedAtOnceAndStartingOnesGoBeforeReadyOnes()
    {
        var planner = new ReplicaSetPlanner(Spec());
        var members = new[] { Member(1, ReplicaPhase.Ready, 900), Member(2, ReplicaPhase.Starting, 5), Member(3, ReplicaPhase.Ready, 10), Member(4, ReplicaPhase.Pending, 1) };
        var now = planner.Plan(2, members, 0, Now);
        Assert.Equal(["serving/llama-3-8b/4"], now.Remove); // no cooldown for what serves nothing
        var later = planner.Plan(2, members.Where(m => m.Phase != ReplicaPhase.Pending).ToList(), 0, Now + Cooldown);
        Assert.Equal(["serving/llama-3-8b/2"], later.Remove); // still starting: wastes least
    }

    [Fact]
    public void ReplicasAreSizedFromTheCheckpointAndKvBudget()
    {
        var estimate = MemoryEstimator.InferenceReplica(weightsBytes: 16 * Gib, kvCacheBytes: 8 * Gib);
        Assert.Equal(25 * Gib, estimate.TotalBytes); // + 1 GiB runtime
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryEstimator.InferenceReplica(-1, 0));
    }

    [Fact]
    public void ScaleOutReplicasArePlacedByThePolicyAndNeverEvictAHigherClass()
    {
        var pool = Pool("1x2xA100-80GB");
        var state = new PoolState(pool);
        var policy = new PlatformPolicy(QuotaTable.Create([], pool.CapacityBytes));
        // An enterprise fine-tune fills one GPU, a batch fine-tune the other.
        state.Bind(Job("enterprise-ft", "acme", PriorityClass.Enterprise, 80), ["node-00/gpu0"], Now);
        state.Bind(Job("batch-ft", "research", PriorityClass.Batch, 80), ["node-00/gpu1"], Now);
        var planner = new ReplicaSetPlanner(Spec(priority: PriorityClass.Consumer, gib: 60));
        var change = planner.Plan(2, [], 0, Now);
        Assert.Equal(2, change.Add.Count);
        var decisions = SchedulingCycle.Run(policy, state, change.Add.Select(r => new PendingWorkload(r, Now)).ToList(), Now);
        // One replica preempts the batch fine-tune; the other waits rather than touch the enterprise one.
        var preempt = decisions.Select(d => d.Decision).OfType<SchedulingDecision.Preempt>().Single();
        Assert.Equal(["batch-ft"], preempt.VictimIds);
        Assert.Single(decisions.Select(d => d.Decision).OfType<SchedulingDecision.Wait>());
        Assert.False(state.Find("enterprise-ft")!.Terminating);
        Assert.True(state.Find("batch-ft")!.Terminating);
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplicaSetPlanner(Spec()).Plan(1, [], -1, Now));
        Assert.False(Spec().Owns("serving/llama-3-8b/x"));
        Assert.False(Spec().Owns("serving/other/1"));
        Assert.True(Spec().Owns("serving/llama-3-8b/12"));
    }
}
