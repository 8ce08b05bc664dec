using Platform.Scheduling.Simulation;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class SimulationTests
{
    private static SimulationTrace SmallSlice() =>
        // Ten minutes of every public trace at low scale: a few thousand requests, a handful of fine-tunes.
        TraceBuilder.Build(
            new TraceBuildOptions { DurationSeconds = 600, AcmeScale = 1, GlobexScale = 1, ConsumerScale = 1, FineTuneCompression = 48 },
            name => File.OpenText(SharedTestData("traces", name)));

    [Fact]
    public void MalformedTraceLinesNameTheirLineNumber()
    {
        const string trace = "# platform-sim-trace v1\ntenant,a,enterprise,10,none\nservice,a,llama-2-13b,fp16,1000,1,2,2000,50,8000,30\nrequest,1.5,a,100\n";
        var error = Assert.Throws<TraceFormatException>(() => TraceFormat.Read(new StringReader(trace)));
        Assert.Equal(4, error.LineNumber);
        Assert.StartsWith("line 4:", error.Message);
        var unknown = Assert.Throws<TraceFormatException>(() => TraceFormat.Read(new StringReader("tenant,a,platinum,1,none")));
        Assert.Contains("unknown priority class 'platinum'", unknown.Message);
        var azure = Assert.Throws<TraceFormatException>(() => PublicTraces.ReadAzureLlm(
            new StringReader("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,10,2\nbroken\n"), "a", 1, new Random(1)));
        Assert.Equal(3, azure.LineNumber);
    }

    [Fact]
    public void TraceFormatRoundTrips()
    {
        var trace = SmallSlice();
        var text = new StringWriter();
        TraceFormat.Write(trace, text);
        var back = TraceFormat.Read(new StringReader(text.ToString()));
        Assert.Equal(trace.Requests.Count, back.Requests.Count);
        Assert.Equal(trace.FineTunes, back.FineTunes);
        Assert.Equal(trace.Tenants, back.Tenants);
    }

    [Fact]
    public void PublicTracesDriveEveryWorkloadClass()
    {
        var trace = SmallSlice();
        Assert.Contains(trace.Requests, r => r.TenantId == "acme");
        Assert.Contains(trace.Requests, r => r.TenantId == "globex");
        Assert.Contains(trace.Requests, r => r.TenantId == "consumers");
        Assert.NotEmpty(trace.FineTunes);
        Assert.All(trace.Requests, r => Assert.InRange(r.TimeSeconds, 0, 600));
    }

    [Fact]
    public void EveryPolicyRunsTheSliceDeterministically()
    {
        var trace = SmallSlice();
        var pool = Pool("2x8xA100-80GB");
        var quotas = SimulationSetup.Quotas(trace with { Tenants = [.. trace.Tenants.Select(t => t with { GuaranteedGib = t.GuaranteedGib / 2 })] }, pool);
        foreach (var name in SimulationSetup.PolicyNames)
        {
            var first = new Simulator(trace, SimulationSetup.Policy(name, pool, quotas), quotas, new SimulationOptions { Pool = pool }).Run();
            var again = new Simulator(trace, SimulationSetup.Policy(name, pool, quotas), quotas, new SimulationOptions { Pool = pool }).Run();
            Assert.Equal(first.EnterpriseSloAttainment, again.EnterpriseSloAttainment);
            Assert.Equal(first.FinetuneJctP50S, again.FinetuneJctP50S);
            Assert.InRange(first.EnterpriseSloAttainment, 0, 1);
            Assert.InRange(first.GpuUtilization, 0, 1);
            Assert.InRange(first.ConsumerAdmittedFraction, 0, 1);
            Assert.Equal(trace.FineTunes.Count, first.Finetunes);
        }
    }

    [Fact]
    public void DiurnalLoadPeaksHalfAPeriodIn()
    {
        var requests = DiurnalConsumerLoad.Generate("c", 10, 0.8, 3600, 3600, new Random(3));
        var night = requests.Count(r => r.TimeSeconds < 600);
        var noon = requests.Count(r => r.TimeSeconds is >= 1500 and < 2100);
        Assert.True(noon > 4 * night, $"noon {noon}, night {night}");
        Assert.InRange(requests.Count, 30_000, 42_000);
    }
}
