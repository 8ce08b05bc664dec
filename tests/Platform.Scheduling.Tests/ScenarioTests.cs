using Platform.Scheduling.Inventory;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.Simulation;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class ScenarioTests
{
    private static SimulationTrace OneRequestAtStart(double time) => new(
        [new TraceTenant("ent", PriorityClass.Enterprise, 80, null)],
        [new TraceService("ent", "llama-2-13b", DType.FP16, 65_536, 1, 2, 2000, 50, 8000, 30)],
        [new TraceRequest(time, "ent", 1000, 10)],
        []);

    [Fact]
    public void StaticPartitionRejectsAGangWiderThanItsPartitionInsteadOfBlockingIt()
    {
        // "b" owns one device; a 2-device gang can never fit there, and must not block b's single jobs.
        var pool = Pool("1x4xA100-80GB");
        var quotas = QuotaTable.Create([new TenantQuota("a", 240L * Gib, null), new TenantQuota("b", 80L * Gib, null)], pool.CapacityBytes);
        var policy = new StaticPartitionPolicy(pool, quotas);
        var state = new PoolState(pool);
        var gang = new PendingWorkload(Job("gang", "b", PriorityClass.Batch, 40, devices: 2), Now);
        var small = new PendingWorkload(Job("small", "b", PriorityClass.Batch, 40), Now.AddSeconds(1));
        var decisions = SchedulingCycle.Run(policy, state, [gang, small], Now).ToDictionary(d => d.Pending.Request.Id, d => d.Decision);
        Assert.Contains("partition", Assert.IsType<SchedulingDecision.Reject>(decisions["gang"]).Reason);
        Assert.IsType<SchedulingDecision.Place>(decisions["small"]);
        // A job that fits the partition but not now still waits.
        var later = Job("later", "b", PriorityClass.Batch, 60);
        Assert.IsType<SchedulingDecision.Wait>(SchedulingCycle.Run(policy, state, [new PendingWorkload(later, Now)], Now).Single().Decision);
    }

    [Fact]
    public void BusinessHoursEnvelopeConcentratesLoadAroundThePeak()
    {
        static double ShareAboveHalf(DiurnalEnvelope day) =>
            Enumerable.Range(0, 10_000).Count(i => day.At(i * day.PeriodSeconds / 10_000) > 0.5) / 10_000.0;
        var cosine = new DiurnalEnvelope(14_400, 0.1, 0.5);
        var business = new DiurnalEnvelope(14_400, 0.1, 0.5, Sharpness: 3);
        Assert.InRange(ShareAboveHalf(cosine), 0.52, 0.54); // (1 + cos)/2 > 0.444
        Assert.InRange(ShareAboveHalf(business), 0.31, 0.34); // about 8 h of a 24 h day
        Assert.Equal(1.0, business.At(7_200), 6);
        Assert.Equal(0.1, business.At(0), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiurnalEnvelope(100, 0.1, 0.5, Sharpness: 0).At(0));
    }

    [Fact]
    public void TheDefaultScenarioIsSizedForItsPoolAndCarriesIt()
    {
        var day = TraceScenarios.Named("day");
        var pool = PoolSpec.Parse(day.Pool!);
        Assert.Equal(48, pool.Devices.Count);
        var quotas = QuotaTable.Create(day.Tenants.Select(t => new TenantQuota(t.Id, (long)(t.GuaranteedGib * Gib), null)), pool.CapacityBytes);
        Assert.Equal(pool.CapacityBytes, quotas.GuaranteedTotalBytes);
        Assert.Throws<SchedulingInputException>(() => TraceScenarios.Named("week"));
    }

    [Fact]
    public void ThePoolRecordRoundTripsAndABadOneNamesItsLine()
    {
        var trace = OneRequestAtStart(0) with { Pool = "6x8xA100-80GB" };
        var text = new StringWriter();
        TraceFormat.Write(trace, text);
        Assert.StartsWith("# platform-sim-trace v1\npool,6x8xA100-80GB\n", text.ToString().ReplaceLineEndings("\n"));
        Assert.Equal("6x8xA100-80GB", TraceFormat.Read(new StringReader(text.ToString())).Pool);
        var bad = Assert.Throws<TraceFormatException>(() => TraceFormat.Read(new StringReader("# platform-sim-trace v1\n\npool,6xbanana\n")));
        Assert.Equal(3, bad.LineNumber);
    }

    [Fact]
    public void TheSimulationStartsFromAServingPlatform()
    {
        // A request at t = 0 is served by a warm minimum replica; before, every run started cold and it missed.
        var pool = Pool("1x2xA100-80GB");
        foreach (var name in SimulationSetup.PolicyNames)
        {
            var trace = OneRequestAtStart(0);
            var quotas = SimulationSetup.Quotas(trace, pool);
            var result = new Simulator(trace, SimulationSetup.Policy(name, pool, quotas), quotas, new SimulationOptions { Pool = pool }).Run();
            Assert.Equal(1.0, result.EnterpriseSloAttainment);
        }
    }

    [Fact]
    public void TimelineShowsWhoHeldThePoolAndWhereRequestsMissed()
    {
        var pool = Pool("1x2xA100-80GB");
        var trace = OneRequestAtStart(0) with
        {
            Requests = [new TraceRequest(0, "ent", 1000, 10), new TraceRequest(130, "ent", 70_000, 10)],
            FineTunes = [new TraceFineTune(0, "ent", WorkloadKind.LoraFineTune, 1, 40, 600, 30)],
        };
        var quotas = SimulationSetup.Quotas(trace, pool);
        var result = new Simulator(trace, new PlatformPolicy(quotas), quotas, new SimulationOptions { Pool = pool, TimelineSeconds = 100 }).Run();
        var timeline = Assert.IsAssignableFrom<IReadOnlyList<TimelineSample>>(result.Timeline);
        var first = timeline[0];
        Assert.Equal(0, first.StartS);
        Assert.Equal(1, first.EnterpriseRequests);
        Assert.Equal(0, first.EnterpriseMissed);
        Assert.Equal(1.0, first.AllocatedByTenant.Values.Sum() + first.Idle, 3);
        // The 70k-token request cannot fit a 64k-token replica: it misses, in the interval it arrived in.
        var second = timeline.Single(t => t.StartS == 100);
        Assert.Equal((1, 1), (second.EnterpriseRequests, second.EnterpriseMissed));
        Assert.Null(new Simulator(trace, new PlatformPolicy(quotas), quotas, new SimulationOptions { Pool = pool }).Run().Timeline);
    }

    [Fact]
    public void OnASmallDayThePlatformLendsIdleGuaranteesThatStaticPartitioningLeavesIdle()
    {
        // A 40-minute business day at a tenth of the load on the day scenario's pool: enterprise guarantees
        // sized for far more than this load, so static partitions idle while fine-tunes queue.
        var options = TraceScenarios.Day with { DurationSeconds = 2400, AcmeScale = 1, GlobexScale = 0.5, ConsumerScale = 0.5, FineTuneCompression = 72 };
        var trace = TraceBuilder.Build(options, name => File.OpenText(SharedTestData("traces", name)));
        var pool = PoolSpec.Parse(trace.Pool!);
        var quotas = SimulationSetup.Quotas(trace, pool);
        var results = SimulationSetup.PolicyNames.ToDictionary(n => n,
            n => new Simulator(trace, SimulationSetup.Policy(n, pool, quotas), quotas, new SimulationOptions { Pool = pool }).Run());
        var (fifo, fixedSplit, platform) = (results["fifo"], results["static-partition"], results["platform"]);
        Assert.True(platform.GpuUtilization >= fixedSplit.GpuUtilization + 0.2, $"platform {platform.GpuUtilization}, static {fixedSplit.GpuUtilization}");
        Assert.True(platform.EnterpriseSloAttainment >= 0.99, $"SLO {platform.EnterpriseSloAttainment}");
        Assert.True(platform.FinetuneJctP50S <= 1.1 * fifo.FinetuneJctP50S, $"JCT p50 {platform.FinetuneJctP50S} vs FIFO {fifo.FinetuneJctP50S}");
        Assert.True(platform.PreemptedFinetunes > 0, "lent capacity is reclaimed by checkpointing fine-tunes");
    }
}
