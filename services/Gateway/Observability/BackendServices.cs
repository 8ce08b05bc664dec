namespace Platform.Services.Gateway.Observability;

/// <summary>The services behind the gateway and their base URLs from <c>Services:&lt;name&gt;</c> (';' separates replicas).</summary>
public static class BackendServices
{
    public static readonly IReadOnlyList<string> Names = ["inference", "rag", "ingestion", "finetune", "scheduler"];

    /// <summary>The configured replicas of <paramref name="name"/>, without trailing '/'; empty when the service is not configured.</summary>
    public static IReadOnlyList<string> Replicas(IConfiguration configuration, string name) =>
        (configuration[$"Services:{name}"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => url.TrimEnd('/'))
            .ToList();
}
