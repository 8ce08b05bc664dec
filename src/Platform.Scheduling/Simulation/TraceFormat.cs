using System.Globalization;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

/// <summary>
/// The simulator's own trace format: CSV lines whose first field is the record type, <c>#</c> comments.
/// <code>
/// # platform-sim-trace v1
/// pool,POOL_SPEC                      (optional: the pool the scenario is sized for, e.g. 6x8xA100-80GB)
/// tenant,ID,CLASS,GUARANTEED_GIB,BORROW_LIMIT_GIB|none
/// service,TENANT,MODEL,DTYPE,KV_TOKENS,MIN_REPLICAS,MAX_REPLICAS,TTFT_SLO_MS,TPOT_SLO_MS,PREFILL_TOK_S,TPOT_MS
/// request,TIME_S,TENANT,CONTEXT_TOKENS,GENERATED_TOKENS
/// finetune,TIME_S,TENANT,lora|full,GPUS,GIB_PER_GPU,DURATION_S,CHECKPOINT_S
/// </code>
/// </summary>
public static class TraceFormat
{
    /// <summary>First line written by <see cref="Write"/>.</summary>
    public const string Header = "# platform-sim-trace v1";

    /// <summary>Reads a trace; throws <see cref="TraceFormatException"/> with the line number of the first bad line.</summary>
    public static SimulationTrace Read(TextReader reader)
    {
        var tenants = new List<TraceTenant>();
        var services = new List<TraceService>();
        var requests = new List<TraceRequest>();
        var fineTunes = new List<TraceFineTune>();
        string? pool = null;
        var lineNumber = 0;
        while (reader.ReadLine() is { } raw)
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var f = new Fields(line.Split(','), lineNumber);
            switch (f.Text(0))
            {
                case "pool":
                    f.Expect(2);
                    pool = f.PoolSpec(1);
                    break;
                case "tenant":
                    f.Expect(5);
                    tenants.Add(new TraceTenant(f.Id(1), f.Priority(2), f.NonNegative(3),
                        f.Text(4) == "none" ? null : f.NonNegative(4)));
                    break;
                case "service":
                    f.Expect(11);
                    services.Add(new TraceService(f.Id(1), f.Model(2), f.Dtype(3), (long)f.Positive(4),
                        f.Count(5), f.Count(6), f.Positive(7), f.Positive(8), f.Positive(9), f.Positive(10)));
                    break;
                case "request":
                    f.Expect(5);
                    requests.Add(new TraceRequest(f.NonNegative(1), f.Id(2), f.Count(3), f.Count(4)));
                    break;
                case "finetune":
                    f.Expect(8);
                    fineTunes.Add(new TraceFineTune(f.NonNegative(1), f.Id(2), f.Kind(3), f.Count(4),
                        f.Positive(5), f.Positive(6), f.NonNegative(7)));
                    break;
                default:
                    throw new TraceFormatException(lineNumber, $"unknown record type '{f.Text(0)}' (expected pool, tenant, service, request or finetune)");
            }
        }
        var trace = new SimulationTrace(tenants, services,
            requests.OrderBy(r => r.TimeSeconds).ToList(), fineTunes.OrderBy(j => j.TimeSeconds).ToList(), pool);
        Validate(trace);
        return trace;
    }

    /// <summary>Writes a trace that <see cref="Read"/> reads back unchanged.</summary>
    public static void Write(SimulationTrace trace, TextWriter writer)
    {
        writer.WriteLine(Header);
        if (trace.Pool is { } pool)
        {
            writer.WriteLine(Csv("pool", pool));
        }
        foreach (var t in trace.Tenants)
        {
            writer.WriteLine(Csv("tenant", t.Id, t.Priority.ToName(), N(t.GuaranteedGib), t.BorrowingLimitGib is { } b ? N(b) : "none"));
        }
        foreach (var s in trace.Services)
        {
            writer.WriteLine(Csv("service", s.TenantId, s.Model, s.WeightsDtype.ToString().ToLowerInvariant(), N(s.KvTokensPerReplica),
                N(s.MinReplicas), N(s.MaxReplicas), N(s.TtftSloMs), N(s.TpotSloMs), N(s.PrefillTokensPerSecond), N(s.TpotMs)));
        }
        foreach (var r in trace.Requests)
        {
            writer.WriteLine(Csv("request", N(r.TimeSeconds), r.TenantId, N(r.ContextTokens), N(r.GeneratedTokens)));
        }
        foreach (var j in trace.FineTunes)
        {
            writer.WriteLine(Csv("finetune", N(j.TimeSeconds), j.TenantId, j.Kind == WorkloadKind.FullFineTune ? "full" : "lora",
                N(j.Gpus), N(j.GibPerGpu), N(j.DurationSeconds), N(j.CheckpointSeconds)));
        }
    }

    private static void Validate(SimulationTrace trace)
    {
        var tenants = trace.Tenants.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in trace.Services.Select(s => s.TenantId).Concat(trace.Requests.Select(r => r.TenantId)).Concat(trace.FineTunes.Select(j => j.TenantId)))
        {
            if (!tenants.Contains(id))
            {
                throw new SchedulingInputException($"the trace uses tenant '{id}' without a tenant line");
            }
        }
        var withService = trace.Services.Select(s => s.TenantId).ToHashSet(StringComparer.Ordinal);
        if (trace.Requests.FirstOrDefault(r => !withService.Contains(r.TenantId)) is { } orphan)
        {
            throw new SchedulingInputException($"tenant '{orphan.TenantId}' sends requests but has no service line");
        }
        if (trace.Services.GroupBy(s => s.TenantId).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new SchedulingInputException($"tenant '{twice.Key}' has more than one service line");
        }
    }

    private static string Csv(params string[] cells) => string.Join(',', cells);

    private static string N(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    private readonly record struct Fields(string[] Cells, int Line)
    {
        public void Expect(int count)
        {
            if (Cells.Length != count)
            {
                throw new TraceFormatException(Line, $"'{Cells[0]}' needs {count} fields, got {Cells.Length}");
            }
        }

        public string Text(int i) => Cells[i].Trim();

        public string Id(int i) => Text(i) is { Length: > 0 } s ? s : throw new TraceFormatException(Line, $"field {i + 1} is empty");

        public double NonNegative(int i) =>
            double.TryParse(Text(i), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v)
                ? v
                : throw new TraceFormatException(Line, $"field {i + 1} '{Text(i)}' is not a non-negative number");

        public double Positive(int i) =>
            NonNegative(i) is > 0 and var v ? v : throw new TraceFormatException(Line, $"field {i + 1} '{Text(i)}' must be positive");

        public int Count(int i) =>
            int.TryParse(Text(i), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new TraceFormatException(Line, $"field {i + 1} '{Text(i)}' is not a non-negative integer");

        public string PoolSpec(int i)
        {
            try
            {
                Inventory.PoolSpec.Parse(Text(i));
                return Text(i);
            }
            catch (SchedulingInputException e)
            {
                throw new TraceFormatException(Line, $"pool '{Text(i)}': {e.Message}");
            }
        }

        public PriorityClass Priority(int i) =>
            PriorityClassNames.TryParse(Text(i), out var p) ? p : throw new TraceFormatException(Line, $"unknown priority class '{Text(i)}'");

        public DType Dtype(int i) =>
            DTypeSizes.TryParse(Text(i), out var d) ? d : throw new TraceFormatException(Line, $"unknown dtype '{Text(i)}'");

        public string Model(int i) =>
            ModelSpec.Find(Text(i))?.Name ?? throw new TraceFormatException(Line, $"unknown model '{Text(i)}' (known: {string.Join(", ", ModelSpec.Presets.Select(p => p.Name))})");

        public WorkloadKind Kind(int i) => Text(i) switch
        {
            "lora" => WorkloadKind.LoraFineTune,
            "full" => WorkloadKind.FullFineTune,
            _ => throw new TraceFormatException(Line, $"fine-tune kind '{Text(i)}' must be lora or full"),
        };
    }
}
