using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Scheduling;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Simulation;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>./platform simulate</c>: replays a trace through the GPU pool policy (the same code the
/// Scheduler runs) and prints the metrics; <c>--build-trace</c> makes the standard trace from the
/// public traces in shared/testdata/traces.
/// </summary>
public sealed class SimulateCommand : ICommand
{
    private const string Usage =
        "usage: ./platform simulate [--scenario day|cosine-day|hour] [--policy fifo|static-partition|platform|all] [--pool 6x8xA100-80GB] [--timeline SECONDS]\n" +
        "                          [--consumer-smoothing 60] [--json]\n" +
        "       ./platform simulate --trace FILE [--policy ...] [--pool ...] [--json]\n" +
        "       ./platform simulate --build-trace OUT [--scenario day] [--traces DIR] [--consumer mooncake|diurnal] [--duration S] [--diurnal]\n" +
        "                           [--enterprise-sharpness K] [--seed 1] [--acme-scale 10] [--globex-scale 5] [--consumer-scale 4] [--finetune-compression 12]\n" +
        "Without --trace the scenario (default: day, docs/scheduling.md) is built from ../shared/testdata/traces; the pool is the\n" +
        "one the trace was sized for unless --pool is given.";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <inheritdoc />
    public string Name => "simulate";

    /// <inheritdoc />
    public string Summary => "replay a workload trace through the GPU pool scheduler (fifo, static-partition, platform)";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return Task.FromResult(0);
        }
        var options = Options.Parse(args, "json", "diurnal");
        try
        {
            if (options.Get("build-trace") is { } output)
            {
                return Task.FromResult(BuildTrace(options, output));
            }
            return Task.FromResult(Simulate(options, cancellationToken));
        }
        catch (SchedulingInputException e)
        {
            throw new CommandLineError(e.Message);
        }
    }

    private static int Simulate(Options options, CancellationToken cancellationToken)
    {
        var trace = options.Get("trace") is { } path ? ReadTrace(path) : SimulateScenario.Build(options);
        var pool = PoolSpec.Parse(options.Get("pool") ?? trace.Pool ?? "4x8xA100-80GB");
        var quotas = SimulationSetup.Quotas(trace, pool);
        var policyName = options.Get("policy") ?? "platform";
        var names = policyName == "all" ? SimulationSetup.PolicyNames : [policyName];
        var results = new List<SimulationResult>();
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var policy = SimulationSetup.Policy(name, pool, quotas);
            var simulation = new SimulationOptions
            {
                Pool = pool,
                TimelineSeconds = options.GetDouble("timeline", 0),
                ConsumerDemandSmoothingSeconds = options.GetDouble("consumer-smoothing", 60),
            };
            results.Add(new Simulator(trace, policy, quotas, simulation).Run());
        }
        if (options.Has("json"))
        {
            Console.WriteLine(results.Count == 1 ? JsonSerializer.Serialize(results[0], s_json) : JsonSerializer.Serialize(results, s_json));
            return 0;
        }
        Console.WriteLine($"{"policy",-17} {"ent_slo",8} {"consumer",9} {"gpu_util",9} {"jct_p50_s",10} {"preempt",8}");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Policy,-17} {r.EnterpriseSloAttainment,8:P2} {r.ConsumerAdmittedFraction,9:P1} {r.GpuUtilization,9:P1} {r.FinetuneJctP50S,10:0} {r.Preemptions,8}"));
        }
        return 0;
    }

    private static SimulationTrace ReadTrace(string path)
    {
        if (!File.Exists(path))
        {
            throw new CommandLineError($"trace file '{path}' does not exist");
        }
        try
        {
            using var reader = File.OpenText(path);
            return TraceFormat.Read(reader);
        }
        catch (TraceFormatException e)
        {
            throw new CommandLineError($"{path}: {e.Message}");
        }
    }

    private static int BuildTrace(Options options, string output)
    {
        var trace = SimulateScenario.Build(options);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        using (var writer = File.CreateText(output))
        {
            TraceFormat.Write(trace, writer);
        }
        Console.WriteLine($"wrote {output}: {trace.Requests.Count} requests, {trace.FineTunes.Count} fine-tunes");
        return 0;
    }
}
