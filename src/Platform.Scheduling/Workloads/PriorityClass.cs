namespace Platform.Scheduling.Workloads;

/// <summary>
/// Priority classes, lowest first so that numeric comparison orders them. Preemption only ever
/// evicts a strictly lower class, except when a tenant reclaims its own guaranteed share.
/// </summary>
public enum PriorityClass
{
    /// <summary>Best-effort work (most fine-tunes); first to be preempted.</summary>
    Batch = 0,

    /// <summary>Consumer traffic, admitted through the published admission share.</summary>
    Consumer = 1,

    /// <summary>Enterprise work without a contractual guarantee.</summary>
    Enterprise = 2,

    /// <summary>Enterprise work covered by a guaranteed share; never preempted while within it.</summary>
    EnterpriseGuaranteed = 3,
}

/// <summary>Parsing and formatting of <see cref="PriorityClass"/> names as used in traces and configuration.</summary>
public static class PriorityClassNames
{
    /// <summary>Kebab-case name, e.g. <c>enterprise-guaranteed</c>.</summary>
    public static string ToName(this PriorityClass priority) => priority switch
    {
        PriorityClass.Batch => "batch",
        PriorityClass.Consumer => "consumer",
        PriorityClass.Enterprise => "enterprise",
        PriorityClass.EnterpriseGuaranteed => "enterprise-guaranteed",
        _ => throw new ArgumentOutOfRangeException(nameof(priority)),
    };

    /// <summary>Parses a kebab-case class name; returns false for anything else.</summary>
    public static bool TryParse(string name, out PriorityClass priority)
    {
        foreach (var candidate in Enum.GetValues<PriorityClass>())
        {
            if (string.Equals(candidate.ToName(), name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                priority = candidate;
                return true;
            }
        }
        priority = default;
        return false;
    }
}
