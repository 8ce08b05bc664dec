using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

/// <summary>
/// The named scenarios of <c>./platform simulate</c> (docs/scheduling.md explains how each was sized).
/// <c>day</c> is the default and the one docs/performance.md reports for the goal.
/// </summary>
public static class TraceScenarios
{
    /// <summary>Scenario names accepted by <see cref="Named"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["day", "cosine-day", "hour"];

    /// <summary>
    /// Tenants of the <c>day</c> scenario on <c>6x8xA100-80GB</c> (48 GPUs): the enterprise guarantees
    /// are the replica counts the enterprise autoscalers reach at peak when nothing constrains them
    /// (16 replicas each, one 80 GiB GPU per replica), consumers get a share of 8 GPUs and research one whole node (8 GPUs),
    /// so that its 8-GPU gangs fit its static partition.
    /// </summary>
    public static IReadOnlyList<TraceTenant> DayTenants { get; } =
    [
        new("acme", PriorityClass.EnterpriseGuaranteed, 16 * 80, 640),
        new("globex", PriorityClass.Enterprise, 16 * 80, 640),
        new("consumers", PriorityClass.Consumer, 8 * 80, null),
        new("research", PriorityClass.Batch, 8 * 80, null),
    ];

    /// <summary>
    /// The default: a compressed business day (4 h) on a pool sized for the enterprise peak plus a
    /// consumer share. Enterprise load follows a business-hours envelope (raised cosine cubed: above half
    /// of its peak for about a third of the day, 10 % of the peak at night); consumers peak in the evening.
    /// </summary>
    public static TraceBuildOptions Day => new()
    {
        DurationSeconds = 14_400,
        Diurnal = true,
        EnterpriseSharpness = 3,
        Tenants = DayTenants,
        Pool = "6x8xA100-80GB",
    };

    /// <summary>The same day with a plain raised-cosine enterprise envelope (above half of its peak for half the day).</summary>
    public static TraceBuildOptions CosineDay => Day with { EnterpriseSharpness = 1 };

    /// <summary>The one-hour scenario of the first runs: no night, 32 GPUs, guarantees below the enterprise peak.</summary>
    public static TraceBuildOptions Hour => new() { Pool = "4x8xA100-80GB" };

    /// <summary>The named scenario; throws <see cref="SchedulingInputException"/> for an unknown name.</summary>
    public static TraceBuildOptions Named(string name) => name switch
    {
        "day" => Day,
        "cosine-day" => CosineDay,
        "hour" => Hour,
        _ => throw new SchedulingInputException($"unknown scenario '{name}'; use {string.Join(", ", Names)}"),
    };
}
