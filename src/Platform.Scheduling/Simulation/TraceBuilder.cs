using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

/// <summary>How <see cref="TraceBuilder"/> turns the public traces into a simulation trace.</summary>
public sealed record TraceBuildOptions
{
    /// <summary>Seconds of arrivals to keep (the Azure and Mooncake traces span about an hour).</summary>
    public double DurationSeconds { get; init; } = 3600;

    /// <summary>Replay factor of the Azure code trace (enterprise tenant <c>acme</c>).</summary>
    public double AcmeScale { get; init; } = 10;

    /// <summary>Replay factor of the Azure conversation trace (enterprise tenant <c>globex</c>).</summary>
    public double GlobexScale { get; init; } = 5;

    /// <summary>Consumer load source: <c>mooncake</c> or <c>diurnal</c>.</summary>
    public string ConsumerSource { get; init; } = "mooncake";

    /// <summary>Replay factor of the Mooncake trace.</summary>
    public double ConsumerScale { get; init; } = 4;

    /// <summary>Mean requests per second of the diurnal generator.</summary>
    public double DiurnalMeanRate { get; init; } = 20;

    /// <summary>First second of the openb pod list to replay (day 124 has gangs of 2–8 GPUs).</summary>
    public double FineTuneFromSeconds { get; init; } = 124 * 86400;

    /// <summary>openb arrivals are compressed by this factor.</summary>
    public double FineTuneCompression { get; init; } = 12;

    /// <summary>Fine-tune run times are capped at this.</summary>
    public double FineTuneMaxSeconds { get; init; } = 7200;

    /// <summary>Seconds a fine-tune needs to checkpoint before it stops.</summary>
    public double CheckpointSeconds { get; init; } = 30;

    /// <summary>
    /// A compressed day instead of one hour: the hour-long enterprise and Mooncake traces are tiled over
    /// <see cref="DurationSeconds"/> and thinned by a <see cref="DiurnalEnvelope"/> (enterprise peaks at
    /// midday with a 10 % night floor, consumers in the evening with a 20 % floor), and fine-tunes arrive
    /// over the whole day.
    /// </summary>
    public bool Diurnal { get; init; }

    /// <summary>Exponent of the enterprise day's raised cosine (see <see cref="DiurnalEnvelope.Sharpness"/>).</summary>
    public double EnterpriseSharpness { get; init; } = 1;

    /// <summary>Tenants and quotas written into the trace.</summary>
    public IReadOnlyList<TraceTenant> Tenants { get; init; } = TraceBuilder.Tenants;

    /// <summary>Inference services written into the trace.</summary>
    public IReadOnlyList<TraceService> Services { get; init; } = TraceBuilder.Services;

    /// <summary>Pool the scenario is sized for (written into the trace); null leaves it to the command line.</summary>
    public string? Pool { get; init; }

    /// <summary>Enterprise load shape of a <see cref="Diurnal"/> day.</summary>
    public DiurnalEnvelope EnterpriseDay => new(DurationSeconds, 0.1, 0.5, EnterpriseSharpness);

    /// <summary>Consumer load shape of a <see cref="Diurnal"/> day.</summary>
    public DiurnalEnvelope ConsumerDay => new(DurationSeconds, 0.2, 0.75);

    /// <summary>Seed of the replay jitter and the diurnal generator.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Builds the standard scenario from the public traces: four tenants on one pool — <c>acme</c>
/// (enterprise-guaranteed coding assistant, Azure code trace), <c>globex</c> (enterprise chat, Azure
/// conversation trace), <c>consumers</c> (Mooncake or the diurnal generator) and <c>research</c>
/// (batch fine-tunes from the Alibaba openb pod list).
/// </summary>
public static class TraceBuilder
{
    /// <summary>File names, relative to <c>shared/testdata/traces</c>, that <see cref="Build"/> opens.</summary>
    public static class Files
    {
        /// <summary>Azure code trace.</summary>
        public const string AzureCode = "azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv";

        /// <summary>Azure conversation trace.</summary>
        public const string AzureConv = "azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv";

        /// <summary>Mooncake conversation trace.</summary>
        public const string Mooncake = "mooncake-fast25-conversation/conversation_trace.jsonl";

        /// <summary>Alibaba openb pod list.</summary>
        public const string OpenbPods = "alibaba-gpu-v2023-openb/openb_pod_list_default.csv";
    }

    /// <summary>Tenants of the standard scenario (quotas in GiB of a 32 × 80 GiB pool: 10, 6, 6 and 8 GPUs guaranteed).</summary>
    public static IReadOnlyList<TraceTenant> Tenants { get; } =
    [
        new("acme", PriorityClass.EnterpriseGuaranteed, 800, 640),
        new("globex", PriorityClass.Enterprise, 480, 640),
        new("consumers", PriorityClass.Consumer, 480, null),
        new("research", PriorityClass.Batch, 640, null),
    ];

    /// <summary>Inference services of the standard scenario.</summary>
    public static IReadOnlyList<TraceService> Services { get; } =
    [
        // Llama 2 13B FP16 + 64k KV tokens ≈ 75 GiB: one replica per 80 GiB GPU.
        new("acme", "llama-2-13b", DType.FP16, 65_536, 3, 16, 2000, 50, 8000, 30),
        new("globex", "llama-2-13b", DType.FP16, 65_536, 1, 16, 2000, 50, 8000, 30),
        // Llama 3 8B FP16 + 448k KV tokens (GQA) ≈ 72 GiB: like vLLM's gpu_memory_utilization, the KV
        // cache takes the rest of the device instead of leaving a hole no whole-GPU job can use.
        new("consumers", "llama-3-8b", DType.FP16, 458_752, 1, 24, 3000, 50, 10000, 20),
    ];

    /// <summary>Builds the trace; <paramref name="open"/> opens a file named in <see cref="Files"/>.</summary>
    public static SimulationTrace Build(TraceBuildOptions options, Func<string, TextReader> open)
    {
        var random = new Random(options.Seed);
        var requests = new List<TraceRequest>();
        using (var code = open(Files.AzureCode))
        {
            requests.AddRange(Shape(PublicTraces.ReadAzureLlm(code, "acme", options.AcmeScale, random), options, options.EnterpriseDay, random));
        }
        using (var conv = open(Files.AzureConv))
        {
            requests.AddRange(Shape(PublicTraces.ReadAzureLlm(conv, "globex", options.GlobexScale, random), options, options.EnterpriseDay, random));
        }
        switch (options.ConsumerSource)
        {
            case "mooncake":
                using (var mooncake = open(Files.Mooncake))
                {
                    requests.AddRange(Shape(PublicTraces.ReadMooncake(mooncake, "consumers", options.ConsumerScale, random), options, options.ConsumerDay, random));
                }
                break;
            case "diurnal":
                requests.AddRange(DiurnalConsumerLoad.Generate("consumers", options.DiurnalMeanRate, 0.8,
                    options.DurationSeconds, options.DurationSeconds, random));
                break;
            default:
                throw new SchedulingInputException($"consumer source '{options.ConsumerSource}' must be mooncake or diurnal");
        }
        List<TraceFineTune> jobs;
        using (var pods = open(Files.OpenbPods))
        {
            jobs = PublicTraces.ReadOpenbPods(pods, "research", options.FineTuneFromSeconds, options.FineTuneCompression,
                options.DurationSeconds, options.FineTuneMaxSeconds, 80, options.CheckpointSeconds);
        }
        return new SimulationTrace(options.Tenants, options.Services,
            requests.Where(r => r.TimeSeconds < options.DurationSeconds).OrderBy(r => r.TimeSeconds).ToList(),
            jobs, options.Pool);
    }

    private static List<TraceRequest> Shape(List<TraceRequest> hour, TraceBuildOptions options, DiurnalEnvelope day, Random random)
    {
        if (!options.Diurnal)
        {
            return hour;
        }
        hour.Sort((a, b) => a.TimeSeconds.CompareTo(b.TimeSeconds));
        return day.Apply(hour, options.DurationSeconds, random);
    }
}
