namespace Platform.Inference.Serving;

/// <summary>Scheduling class of a request, highest first (the gateway derives it from the tenant's tier).</summary>
public enum PriorityClass
{
    /// <summary>Enterprise tenants: admitted first, preempted last.</summary>
    Enterprise = 0,

    /// <summary>Consumer tenants.</summary>
    Consumer = 1,

    /// <summary>Offline/batch work: admitted when nothing else waits (subject to aging).</summary>
    Batch = 2,
}

/// <summary>Parsing of <see cref="PriorityClass"/> from the caller's priority header value.</summary>
public static class PriorityClasses
{
    /// <summary>"enterprise", "consumer" or "batch" (case-insensitive); anything else is consumer.</summary>
    public static PriorityClass Parse(string? value) => value?.ToLowerInvariant() switch
    {
        "enterprise" => PriorityClass.Enterprise,
        "batch" => PriorityClass.Batch,
        _ => PriorityClass.Consumer,
    };

    /// <summary>The lower-case name used in metrics tags.</summary>
    public static string Name(this PriorityClass priority) => priority switch
    {
        PriorityClass.Enterprise => "enterprise",
        PriorityClass.Batch => "batch",
        _ => "consumer",
    };
}
