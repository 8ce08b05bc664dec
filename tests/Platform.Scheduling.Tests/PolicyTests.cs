using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class PolicyTests
{
    private static QuotaTable Quotas(Platform.Scheduling.Inventory.PoolInventory pool, params TenantQuota[] quotas) =>
        QuotaTable.Create(quotas, pool.CapacityBytes);

    private static SchedulingDecision RunOne(IPoolPolicy policy, PoolState state, WorkloadRequest request) =>
        SchedulingCycle.Run(policy, state, [new PendingWorkload(request, Now)], Now).Single().Decision;

    [Fact]
    public void AWorkloadLargerThanAnyDeviceIsRejectedWithTheReason()
    {
        var pool = Pool("1x8xA100-80GB");
        foreach (var policy in new IPoolPolicy[] { new FifoPolicy(), new PlatformPolicy(Quotas(pool)) })
        {
            var decision = RunOne(policy, new PoolState(pool), Job("big", "t", PriorityClass.Batch, 140));
            var reject = Assert.IsType<SchedulingDecision.Reject>(decision);
            Assert.Contains("needs 140 GiB per device but the largest device (A100-80GB) has 80 GiB", reject.Reason);
        }
        var gang = RunOne(new FifoPolicy(), new PoolState(pool), Job("gang", "t", PriorityClass.Batch, 40, devices: 16));
        Assert.Contains("largest suitable group has 8", Assert.IsType<SchedulingDecision.Reject>(gang).Reason);
    }

    [Fact]
    public void BestFitPacksSmallWorkIntoUsedGroupsAndKeepsWholeGroupsForGangs()
    {
        var pool = Pool("2x4xA100-80GB");
        var state = new PoolState(pool);
        var policy = new PlatformPolicy(Quotas(pool));
        RunOne(policy, state, Job("a", "t", PriorityClass.Batch, 50));
        var b = Assert.IsType<SchedulingDecision.Place>(RunOne(policy, state, Job("b", "t", PriorityClass.Batch, 25)));
        Assert.Equal(state.Find("a")!.DeviceIds, b.DeviceIds); // 30 GiB left beside a: tightest fit
        var c = Assert.IsType<SchedulingDecision.Place>(RunOne(policy, state, Job("c", "t", PriorityClass.Batch, 60)));
        Assert.StartsWith("node-00/", c.DeviceIds[0]); // the used group, so node-01 stays whole
        var gang = Assert.IsType<SchedulingDecision.Place>(RunOne(policy, state, Job("g", "t", PriorityClass.Batch, 80, devices: 4, kind: WorkloadKind.FullFineTune)));
        Assert.All(gang.DeviceIds, d => Assert.StartsWith("node-01/", d));
    }

    [Fact]
    public void AGangIsNeverHalfPlaced()
    {
        // 6 free GPUs in total but at most 3 in any NVLink group: a 4-GPU gang must wait, untouched.
        var pool = Pool("2x4xA100-80GB");
        var state = new PoolState(pool);
        state.Bind(Job("x", "t", PriorityClass.EnterpriseGuaranteed, 80), ["node-00/gpu0"], Now);
        state.Bind(Job("y", "t", PriorityClass.EnterpriseGuaranteed, 80), ["node-01/gpu0"], Now);
        foreach (var policy in new IPoolPolicy[] { new FifoPolicy(), new PlatformPolicy(Quotas(pool)) })
        {
            var decision = RunOne(policy, state, Job("gang", "t", PriorityClass.EnterpriseGuaranteed, 10, devices: 4, kind: WorkloadKind.FullFineTune));
            Assert.IsType<SchedulingDecision.Wait>(decision);
            Assert.Null(state.Find("gang"));
            Assert.Equal(2, state.Running.Count);
        }
        Assert.Throws<InvalidOperationException>(() =>
            state.Bind(Job("split", "t", PriorityClass.Batch, 10, devices: 2), ["node-00/gpu1", "node-01/gpu1"], Now));
    }

    [Fact]
    public void NoPlacementEverExceedsDeviceMemory()
    {
        var pool = Pool("2x4xA100-80GB,1x2xL40S-48GB:pcie");
        var random = new Random(7);
        var quotas = Quotas(pool, new TenantQuota("a", 200L * Gib, 400L * Gib), new TenantQuota("b", 200L * Gib, null));
        foreach (var policy in new IPoolPolicy[] { new FifoPolicy(), new StaticPartitionPolicy(pool, quotas), new PlatformPolicy(quotas) })
        {
            var state = new PoolState(pool);
            var pending = new List<PendingWorkload>();
            for (var step = 0; step < 300; step++)
            {
                var devices = random.Next(10) == 0 ? random.Next(2, 5) : 1;
                var request = Job($"w{step}", random.Next(2) == 0 ? "a" : "b", (PriorityClass)random.Next(4), random.Next(1, 90), devices);
                pending.Add(new PendingWorkload(request, Now.AddSeconds(step)));
                foreach (var (p, d) in SchedulingCycle.Run(policy, state, pending, Now.AddSeconds(step)))
                {
                    if (d is SchedulingDecision.Place or SchedulingDecision.Reject)
                    {
                        pending.Remove(p);
                    }
                }
                foreach (var w in state.Running.Where(w => w.Terminating || random.Next(6) == 0).ToList())
                {
                    state.Release(w.Request.Id);
                }
                foreach (var device in pool.Devices)
                {
                    Assert.InRange(state.UsedBytes(device.Id), 0, device.MemoryBytes);
                }
                Assert.All(state.Running, w => Assert.Single(w.DeviceIds.Select(d => pool.Device(d).NvLinkGroup).Distinct()));
            }
        }
    }

    [Fact]
    public void GuaranteedShareIsAlwaysHonouredByReclaimingFromBorrowers()
    {
        var pool = Pool("1x8xA100-80GB");
        var quotas = Quotas(pool, new TenantQuota("acme", 320L * Gib, 0), new TenantQuota("research", 0, null));
        var policy = new PlatformPolicy(quotas);
        var state = new PoolState(pool);
        // research borrows the whole idle pool, including acme's idle guarantee.
        for (var i = 0; i < 8; i++)
        {
            Assert.IsType<SchedulingDecision.Place>(RunOne(policy, state, Job($"r{i}", "research", PriorityClass.Batch, 80)));
        }
        // acme comes back: each request within its guarantee is honoured, whatever the victims' class.
        for (var i = 0; i < 4; i++)
        {
            var request = Job($"acme{i}", "acme", PriorityClass.Consumer, 80);
            var preempt = Assert.IsType<SchedulingDecision.Preempt>(RunOne(policy, state, request));
            Assert.All(preempt.VictimIds, v => Assert.StartsWith("r", v));
            foreach (var v in preempt.VictimIds)
            {
                state.Release(v);
            }
            Assert.IsType<SchedulingDecision.Place>(RunOne(policy, state, request));
        }
        Assert.Equal(320L * Gib, state.TenantUsageBytes("acme"));
        // Beyond its guarantee (and borrowing limit 0) acme waits and evicts nobody.
        Assert.IsType<SchedulingDecision.Wait>(RunOne(policy, state, Job("acme4", "acme", PriorityClass.EnterpriseGuaranteed, 80)));
        Assert.DoesNotContain(state.Running, w => w.Terminating);
    }

    [Fact]
    public void WorkInsideItsTenantsGuaranteeIsNeverPreempted()
    {
        var pool = Pool("1x4xA100-80GB");
        var quotas = Quotas(pool, new TenantQuota("research", 320L * Gib, null), new TenantQuota("acme", 0, null));
        var policy = new PlatformPolicy(quotas);
        var state = new PoolState(pool);
        for (var i = 0; i < 4; i++)
        {
            RunOne(policy, state, Job($"r{i}", "research", PriorityClass.Batch, 80));
        }
        var decision = RunOne(policy, state, Job("e", "acme", PriorityClass.EnterpriseGuaranteed, 80));
        Assert.IsType<SchedulingDecision.Wait>(decision);
    }

    [Fact]
    public void PreemptionTakesTheLowestClassFirstThenTheLeastWastedWork()
    {
        var pool = Pool("1x4xA100-80GB");
        var quotas = Quotas(pool, new TenantQuota("acme", 80L * Gib, null));
        var policy = new PlatformPolicy(quotas);
        var state = new PoolState(pool);
        state.Bind(Job("consumer", "c", PriorityClass.Consumer, 80, kind: WorkloadKind.InferenceReplica, checkpointSeconds: 0), ["node-00/gpu0"], Now.AddHours(-1));
        // A fine-tune that cannot checkpoint loses its two hours of progress; one that can loses 30 s + restart.
        state.Bind(Job("batch-no-ckpt", "b", PriorityClass.Batch, 80, checkpointSeconds: 0), ["node-00/gpu1"], Now.AddHours(-2));
        state.Bind(Job("batch-ckpt", "b", PriorityClass.Batch, 80, checkpointSeconds: 30), ["node-00/gpu2"], Now.AddHours(-2));
        state.Bind(Job("enterprise", "e", PriorityClass.Enterprise, 80), ["node-00/gpu3"], Now.AddHours(-1));

        var first = Assert.IsType<SchedulingDecision.Preempt>(RunOne(policy, state, Job("g1", "acme", PriorityClass.EnterpriseGuaranteed, 80)));
        Assert.Equal(["batch-ckpt"], first.VictimIds);
        state.Release("batch-ckpt");
        RunOne(policy, state, Job("g1", "acme", PriorityClass.EnterpriseGuaranteed, 80));

        // acme is now beyond its guarantee, so only strictly lower classes are eligible, lowest first.
        var order = new List<string>();
        for (var i = 2; i <= 4; i++)
        {
            var request = Job($"g{i}", "acme", PriorityClass.EnterpriseGuaranteed, 80);
            if (RunOne(policy, state, request) is not SchedulingDecision.Preempt p)
            {
                break;
            }
            order.AddRange(p.VictimIds);
            p.VictimIds.ToList().ForEach(v => state.Release(v));
            RunOne(policy, state, request);
        }
        Assert.Equal(["batch-no-ckpt", "consumer", "enterprise"], order);
    }

    [Fact]
    public void FifoBlocksBehindTheHeadWhilePlatformBackfillsByClass()
    {
        var pool = Pool("1x2xA100-80GB");
        var state = new PoolState(pool);
        state.Bind(Job("busy", "t", PriorityClass.Batch, 80), ["node-00/gpu0"], Now);
        PendingWorkload[] pending =
        [
            new(Job("gang", "t", PriorityClass.Batch, 80, devices: 2), Now),
            new(Job("small", "t", PriorityClass.Enterprise, 10), Now.AddSeconds(1)),
        ];
        var fifo = SchedulingCycle.Run(new FifoPolicy(), state, pending, Now);
        Assert.All(fifo, d => Assert.IsType<SchedulingDecision.Wait>(d.Decision));
        var platform = SchedulingCycle.Run(new PlatformPolicy(QuotaTable.Create([], pool.CapacityBytes)), state, pending, Now);
        Assert.Equal("small", platform[0].Pending.Request.Id);
        Assert.IsType<SchedulingDecision.Place>(platform[0].Decision);
    }

    [Fact]
    public void StaticPartitionKeepsTenantsOnTheirOwnDevices()
    {
        var pool = Pool("1x4xA100-80GB");
        var quotas = Quotas(pool, new TenantQuota("a", 240L * Gib, null), new TenantQuota("b", 80L * Gib, null));
        var policy = new StaticPartitionPolicy(pool, quotas);
        Assert.Equal(3, policy.TenantOfDevice.Values.Count(t => t == "a"));
        var state = new PoolState(pool);
        RunOne(policy, state, Job("b1", "b", PriorityClass.Batch, 80));
        Assert.IsType<SchedulingDecision.Wait>(RunOne(policy, state, Job("b2", "b", PriorityClass.Batch, 80)));
    }
}
