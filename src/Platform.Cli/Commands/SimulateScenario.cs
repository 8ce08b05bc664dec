using Platform.Scheduling.Simulation;

namespace Platform.Cli.Commands;

/// <summary>
/// Builds the simulation trace of a named scenario (<c>--scenario day|cosine-day|hour</c>, default
/// <c>day</c>) from the public traces in shared/testdata/traces, with the command line's overrides.
/// </summary>
internal static class SimulateScenario
{
    public static TraceBuildOptions Options(Options options)
    {
        var o = TraceScenarios.Named(options.Get("scenario") ?? "day");
        return o with
        {
            DurationSeconds = options.GetDouble("duration", o.DurationSeconds),
            Diurnal = o.Diurnal || options.Has("diurnal"),
            EnterpriseSharpness = options.GetDouble("enterprise-sharpness", o.EnterpriseSharpness),
            ConsumerSource = options.Get("consumer") ?? o.ConsumerSource,
            AcmeScale = options.GetDouble("acme-scale", o.AcmeScale),
            GlobexScale = options.GetDouble("globex-scale", o.GlobexScale),
            ConsumerScale = options.GetDouble("consumer-scale", o.ConsumerScale),
            FineTuneCompression = options.GetDouble("finetune-compression", o.FineTuneCompression),
            Seed = options.GetInt("seed", o.Seed),
            Pool = options.Get("pool") ?? o.Pool,
        };
    }

    public static SimulationTrace Build(Options options)
    {
        var dir = options.Get("traces") ?? DefaultTracesDirectory()
            ?? throw new CommandLineError("cannot find shared/testdata/traces next to the repository; pass --traces DIR");
        try
        {
            return TraceBuilder.Build(Options(options), name =>
            {
                var path = Path.Combine(dir, name);
                return File.Exists(path) ? File.OpenText(path) : throw new CommandLineError($"trace file '{path}' does not exist");
            });
        }
        catch (TraceFormatException e)
        {
            throw new CommandLineError($"public trace: {e.Message}");
        }
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
