using Platform.Scheduling.Workloads;

namespace Platform.Services.Scheduler.Pool;

/// <summary>Names of <see cref="WorkloadKind"/> on the API and in the database.</summary>
public static class WorkloadKinds
{
    /// <summary>Accepted names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["inference-replica", "lora-fine-tune", "full-fine-tune"];

    /// <summary>Kebab-case name.</summary>
    public static string ToName(WorkloadKind kind) => Names[(int)kind];

    /// <summary>Parses a name; false for anything else.</summary>
    public static bool TryParse(string? name, out WorkloadKind kind)
    {
        var index = name is null ? -1 : Names.ToList().IndexOf(name.Trim().ToLowerInvariant());
        kind = index < 0 ? default : (WorkloadKind)index;
        return index >= 0;
    }
}
