using Platform.Scheduling.Inventory;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workers;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class TopologyAndSlicingTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void An_nvswitch_box_is_one_nvlink_group_and_a_pcie_box_has_none()
    {
        var h100 = NvidiaTopologyParser.Parse(Fixture("nvidia-smi-topo-h100x8-nvswitch.txt"));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], Assert.Single(h100));
        Assert.Empty(NvidiaTopologyParser.Parse(Fixture("nvidia-smi-topo-l40sx4-pcie.txt")));
    }

    [Fact]
    public void A_real_h100_recording_parses_escapes_included()
    {
        // Recorded on a lent H100 machine (driver 580.159.04): the topo header carries terminal escapes.
        Assert.Contains('\u001b', Fixture("nvidia-smi-topo-h100x1.txt"));
        Assert.Empty(NvidiaTopologyParser.Parse(Fixture("nvidia-smi-topo-h100x1.txt")));
        var gpu = Assert.Single(NvidiaSmiParser.Parse(Fixture("nvidia-smi-h100x1.csv")));
        Assert.Equal("NVIDIA H100 80GB HBM3", gpu.Name);
        Assert.Equal(81559L * 1024 * 1024, gpu.MemoryTotalBytes);
        Assert.False(gpu.MigEnabled);
        Assert.Equal("GPU-8fade240-37d2-0df9-1598-ac3ae1168215", gpu.Uuid);
        var node = WorkerRegistration.ToNode("h100", [gpu], NvidiaTopologyParser.Parse(Fixture("nvidia-smi-topo-h100x1.txt")));
        Assert.Single(node.Devices);
    }

    [Fact]
    public void Nvlink_bridged_pairs_form_groups_of_two()
    {
        const string pairs =
            "\tGPU0\tGPU1\tGPU2\tGPU3\tCPU Affinity\tNUMA Affinity\n" +
            "GPU0\t X \tNV4\tSYS\tSYS\t0-15\t0\n" +
            "GPU1\tNV4\t X \tSYS\tSYS\t0-15\t0\n" +
            "GPU2\tSYS\tSYS\t X \tNV4\t16-31\t1\n" +
            "GPU3\tSYS\tSYS\tNV4\t X \t16-31\t1\n";
        var groups = NvidiaTopologyParser.Parse(pairs);
        Assert.Equal(2, groups.Count);
        Assert.Equal([0, 1], groups[0]);
        Assert.Equal([2, 3], groups[1]);
    }

    [Fact]
    public void A_malformed_matrix_names_its_line()
    {
        Assert.Contains("no header row", Assert.Throws<SchedulingInputException>(() => NvidiaTopologyParser.Parse("nvidia-smi: command not found")).Message);
        const string broken = "\tGPU0\tGPU1\nGPU0\t X \tNV12\nGPU1\tNV12\tWARP\n";
        Assert.Contains("line 3", Assert.Throws<SchedulingInputException>(() => NvidiaTopologyParser.Parse(broken)).Message);
        const string missingRow = "\tGPU0\tGPU1\nGPU0\t X \tNV12\n";
        Assert.Contains("1 GPU rows for 2", Assert.Throws<SchedulingInputException>(() => NvidiaTopologyParser.Parse(missingRow)).Message);
    }

    [Fact]
    public void A_gang_places_on_the_group_the_topology_reports()
    {
        var node = WorkerRegistration.ToNode("h100-box", NvidiaSmiParser.Parse(Fixture("nvidia-smi-h100x8-mig.csv")).Take(7).ToList(),
            NvidiaTopologyParser.Parse(Fixture("nvidia-smi-topo-h100x8-nvswitch.txt")));
        var state = new PoolState(new PoolInventory([node]));
        var gang = Job("gang", "acme", PriorityClass.Enterprise, 70, devices: 4, kind: WorkloadKind.FullFineTune);
        var decision = SchedulingCycle.Run(new PlatformPolicy(QuotaTable.Create([], long.MaxValue)), state, [new PendingWorkload(gang, Now)], Now).Single().Decision;
        Assert.Equal(4, Assert.IsType<SchedulingDecision.Place>(decision).DeviceIds.Count);

        var alone = WorkerRegistration.ToNode("h100-box", NvidiaSmiParser.Parse(Fixture("nvidia-smi-h100x8-mig.csv")).Take(7).ToList());
        Assert.Contains("NVLink group", Feasibility(alone, gang));
    }

    private static string? Feasibility(GpuNode node, WorkloadRequest request) =>
        Platform.Scheduling.Placement.Feasibility.WhyNever(new PoolInventory([node]), request);

    [Fact]
    public void A_mig_gpu_is_refused_without_slices_and_charged_a_slice_with_them()
    {
        var gpus = NvidiaSmiParser.Parse(Fixture("nvidia-smi-h100x8-mig.csv"));
        Assert.True(gpus[7].MigEnabled);
        var problem = Assert.Single(WorkerRegistration.Problems("h100-box", gpus));
        Assert.Contains("GPU 7 has MIG enabled", problem);

        var sliced = gpus.Select(g => g.MigEnabled == true ? g with { MigSliceBytes = [10 * Gib, 10 * Gib, 20 * Gib, 40 * Gib] } : g).ToList();
        var node = WorkerRegistration.ToNode("h100-box", sliced);
        var mig = node.Devices.Single(d => d.Id == "h100-box/gpu7");
        Assert.Equal(4, mig.MigSliceBytes.Count);
        Assert.Equal(20 * Gib, DeviceFit.ChargedBytes(mig, 12 * Gib));
        Assert.Null(DeviceFit.ChargedBytes(mig, 50 * Gib));

        Assert.Contains("MIG slice outside", Assert.Single(WorkerRegistration.Problems("x", [gpus[0] with { MigSliceBytes = [100 * Gib] }])));
        Assert.Contains("MPS shares", Assert.Single(WorkerRegistration.Problems("x", [gpus[0] with { MpsShares = -1 }])));
        Assert.Equal(4, WorkerRegistration.ToNode("x", [gpus[0] with { MpsShares = 4 }]).Devices[0].MpsShares);
    }

    [Fact]
    public void Overcommit_is_the_guarantees_beyond_the_schedulable_pool()
    {
        var quotas = QuotaTable.Create([new TenantQuota("a", 160 * Gib, null), new TenantQuota("b", 80 * Gib, null)], long.MaxValue);
        var state = new PoolState(PoolSpec.Parse("1x2xA100-80GB"));
        Assert.Equal(80 * Gib, quotas.OvercommitBytes(state.SchedulableCapacityBytes));
        state.Register(WorkerRegistration.ToNode("more", [new GpuReport(0, "A100-80GB", 80 * Gib)]));
        Assert.Equal(0, quotas.OvercommitBytes(state.SchedulableCapacityBytes));
        state.Drain("more");
        Assert.Equal(80 * Gib, quotas.OvercommitBytes(state.SchedulableCapacityBytes));
    }

    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("10", 10_000)]
    public void Intervals_read_units(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Intervals.Parse(text));

    [Theory]
    [InlineData("soon")]
    [InlineData("10ms")]
    [InlineData("2h")]
    public void Bad_intervals_are_refused(string text) =>
        Assert.Throws<SchedulingInputException>(() => Intervals.Parse(text));
}
