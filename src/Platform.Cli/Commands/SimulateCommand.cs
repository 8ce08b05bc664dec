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
        "usage: ./platform simulate --trace FILE [--policy fifo|static-partition|platform|all] [--pool 4x8xA100-80GB] [--json]\n" +
        "       ./platform simulate --build-trace OUT [--traces DIR] [--consumer mooncake|diurnal] [--duration 3600] [--diurnal] [--seed 1]\n" +
        "                           [--acme-scale 10] [--globex-scale 5] [--consumer-scale 4] [--finetune-compression 12]";

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
        var path = options.Get("trace") ?? throw new CommandLineError($"missing --trace FILE or --build-trace OUT\n{Usage}");
        if (!File.Exists(path))
        {
            throw new CommandLineError($"trace file '{path}' does not exist");
        }
        SimulationTrace trace;
        try
        {
            using var reader = File.OpenText(path);
            trace = TraceFormat.Read(reader);
        }
        catch (TraceFormatException e)
        {
            throw new CommandLineError($"{path}: {e.Message}");
        }
        var pool = PoolSpec.Parse(options.Get("pool") ?? "4x8xA100-80GB");
        var quotas = SimulationSetup.Quotas(trace, pool);
        var policyName = options.Get("policy") ?? "platform";
        var names = policyName == "all" ? SimulationSetup.PolicyNames : [policyName];
        var results = new List<SimulationResult>();
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var policy = SimulationSetup.Policy(name, pool, quotas);
            results.Add(new Simulator(trace, policy, quotas, new SimulationOptions { Pool = pool }).Run());
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

    private static int BuildTrace(Options options, string output)
    {
        var dir = options.Get("traces") ?? DefaultTracesDirectory()
            ?? throw new CommandLineError("cannot find shared/testdata/traces next to the repository; pass --traces DIR");
        var build = new TraceBuildOptions
        {
            DurationSeconds = options.GetDouble("duration", 3600),
            ConsumerSource = options.Get("consumer") ?? "mooncake",
            AcmeScale = options.GetDouble("acme-scale", 10),
            GlobexScale = options.GetDouble("globex-scale", 5),
            ConsumerScale = options.GetDouble("consumer-scale", 4),
            FineTuneCompression = options.GetDouble("finetune-compression", 12),
            Seed = options.GetInt("seed", 1),
            Diurnal = options.Has("diurnal"),
        };
        SimulationTrace trace;
        try
        {
            trace = TraceBuilder.Build(build, name =>
            {
                var path = Path.Combine(dir, name);
                return File.Exists(path) ? File.OpenText(path) : throw new CommandLineError($"trace file '{path}' does not exist");
            });
        }
        catch (TraceFormatException e)
        {
            throw new CommandLineError($"public trace: {e.Message}");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        using (var writer = File.CreateText(output))
        {
            TraceFormat.Write(trace, writer);
        }
        Console.WriteLine($"wrote {output}: {trace.Requests.Count} requests, {trace.FineTunes.Count} fine-tunes");
        return 0;
    }

    private static string? DefaultTracesDirectory()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
            {
                var traces = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "testdata", "traces"));
                return Directory.Exists(traces) ? traces : null;
            }
        }
        return null;
    }
}
