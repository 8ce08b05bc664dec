using Platform.Scheduling.Inventory;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class QuotaAndInventoryTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void ConflictingQuotasAreRefused()
    {
        var capacity = 640L * Gib;
        var over = Assert.Throws<SchedulingInputException>(() => QuotaTable.Create(
            [new TenantQuota("a", 400L * Gib, null), new TenantQuota("b", 300L * Gib, null)], capacity));
        Assert.Contains("add up to 700 GiB but the pool has 640 GiB", over.Message);
        Assert.Throws<SchedulingInputException>(() => QuotaTable.Create(
            [new TenantQuota("a", Gib, null), new TenantQuota("a", 2 * Gib, null)], capacity));
        Assert.Throws<SchedulingInputException>(() => QuotaTable.Create([new TenantQuota("a", -1, null)], capacity));
    }

    [Fact]
    public void ParsesRecordedNvidiaSmiOutputWithHeader()
    {
        var gpus = NvidiaSmiParser.Parse(Fixture("nvidia-smi-a100x4.csv"));
        Assert.Equal(4, gpus.Count);
        Assert.All(gpus, g => Assert.Equal(81920L << 20, g.MemoryTotalBytes));
        Assert.Equal("NVIDIA A100-SXM4-80GB", gpus[3].Name);
        var node = WorkerRegistration.ToNode("dgx-1", gpus, [[0, 1, 2, 3]]);
        Assert.Single(node.Devices.Select(d => d.NvLinkGroup).Distinct());
        Assert.Equal("A100-SXM4-80GB", node.Devices[0].Model);
    }

    [Fact]
    public void ParsesRecordedNoHeaderOutputWithUnits()
    {
        var gpus = NvidiaSmiParser.Parse(Fixture("nvidia-smi-a40x8-noheader.csv"),
            ["index", "name", "memory.total", "memory.used", "utilization.gpu"]);
        Assert.Equal(8, gpus.Count);
        Assert.Equal(21828L << 20, gpus[2].MemoryUsedBytes);
        Assert.Equal(0, gpus[2].UtilizationPercent);
        Assert.Empty(WorkerRegistration.Problems("tang-1", gpus));
    }

    [Fact]
    public void NvidiaSmiNotAvailableFieldsAndMalformedLines()
    {
        const string csv = "index, uuid, name, memory.total [MiB], memory.used [MiB], mig.mode.current\n" +
                           "0, GPU-1, NVIDIA H100 80GB HBM3, 81559 MiB, [N/A], Enabled\n" +
                           "1, GPU-2, NVIDIA H100 80GB HBM3, lots MiB, 1 MiB, Disabled\n";
        var error = Assert.Throws<SchedulingInputException>(() => NvidiaSmiParser.Parse(csv));
        Assert.Contains("line 3", error.Message);
        var first = NvidiaSmiParser.Parse(string.Join('\n', csv.Split('\n').Take(2)));
        Assert.Null(first[0].MemoryUsedBytes);
        Assert.True(first[0].MigEnabled);
    }

    [Fact]
    public void AWorkerReportingImpossibleNumbersIsRefused()
    {
        GpuReport[] gpus =
        [
            new(0, "NVIDIA A100-SXM4-80GB", 81920L << 20) { MemoryUsedBytes = 90000L << 20 },
            new(0, "NVIDIA A100-SXM4-80GB", -1) { UtilizationPercent = 140 },
        ];
        var problems = WorkerRegistration.Problems("w", gpus);
        Assert.Contains(problems, p => p.Contains("memory.used 90000 MiB outside 0..81920 MiB"));
        Assert.Contains(problems, p => p.Contains("index 0 2 times"));
        Assert.Contains(problems, p => p.Contains("impossible memory.total"));
        Assert.Contains(problems, p => p.Contains("utilization.gpu 140%"));
        Assert.Throws<SchedulingInputException>(() => WorkerRegistration.ToNode("w", gpus));
    }

    [Fact]
    public void ANodeThatMissesHeartbeatsIsDrainedAndItsWorkReturned()
    {
        var time = new ManualTime(Now);
        var monitor = new HeartbeatMonitor(time, TimeSpan.FromSeconds(10), missesBeforeDrain: 3);
        var pool = Pool("2x2xA100-80GB");
        var state = new PoolState(pool);
        state.Bind(Job("j", "t", PriorityClass.Batch, 10), ["node-01/gpu1"], Now);
        monitor.Beat("node-00");
        monitor.Beat("node-01");
        time.Advance(TimeSpan.FromSeconds(20));
        monitor.Beat("node-00");
        Assert.Empty(monitor.Sweep());
        time.Advance(TimeSpan.FromSeconds(15));
        monitor.Beat("node-00");
        Assert.Equal(["node-01"], monitor.Sweep());
        Assert.Empty(monitor.Sweep()); // reported once
        var evicted = state.Drain("node-01");
        Assert.Equal("j", Assert.Single(evicted).Request.Id);
        Assert.False(state.IsSchedulable(pool.Device("node-01/gpu0")));
        monitor.Beat("node-01");
        Assert.True(monitor.IsHealthy("node-01"));
    }

    [Fact]
    public void LocalCpuIsOneSchedulableDevice()
    {
        var pool = new PoolInventory([PoolInventory.LocalCpuNode("dev", 16L * Gib)]);
        var state = new PoolState(pool);
        var decision = Policies.SchedulingCycle.Run(new Policies.PlatformPolicy(QuotaTable.Create([], pool.CapacityBytes)), state,
            [new Policies.PendingWorkload(Job("tiny", "t", PriorityClass.Consumer, 1), Now)], Now).Single().Decision;
        Assert.Equal(["dev/cpu"], Assert.IsType<Policies.SchedulingDecision.Place>(decision).DeviceIds);
    }

    [Fact]
    public void MigSlicesChargeTheWholeSlice()
    {
        var device = new GpuDevice("n/gpu0", "n", "A100-80GB", 80L * Gib, "n/gpu0") { MigSliceBytes = [10L * Gib, 20L * Gib, 40L * Gib] };
        Assert.Equal(20L * Gib, DeviceFit.ChargedBytes(device, 15L * Gib));
        Assert.Null(DeviceFit.ChargedBytes(device, 50L * Gib));
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
