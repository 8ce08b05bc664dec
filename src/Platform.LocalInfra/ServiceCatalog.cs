namespace Platform.LocalInfra;

/// <summary>One platform host the launcher runs.</summary>
/// <param name="Name">Short name, used in URLs, logs, docker-compose service names and `status`.</param>
/// <param name="ProjectDir">Folder of the host's project, relative to the repository root.</param>
/// <param name="AssemblyName">The host's assembly (its dll is artifacts/bin/NAME/debug/NAME.dll).</param>
/// <param name="Port">Fixed loopback port under `./platform up` (moved by `--port-base`: <see cref="PlatformPorts"/>).</param>
/// <param name="UsesPostgres">Needs ConnectionStrings__Postgres.</param>
/// <param name="UsesRedis">Needs ConnectionStrings__Redis.</param>
public sealed record ServiceSpec(string Name, string ProjectDir, string AssemblyName, int Port, bool UsesPostgres, bool UsesRedis)
{
    public string Url => $"http://127.0.0.1:{Port}";

    public string DllPath(RepoLayout repo) =>
        Path.Combine(repo.Root, "artifacts", "bin", AssemblyName, "debug", AssemblyName + ".dll");
}

/// <summary>
/// The platform's processes and their fixed ports. docker-compose.yml mirrors this list; a test
/// keeps the two from drifting apart.
/// </summary>
public static class ServiceCatalog
{
    public const int PostgresPort = 55432;
    public const int RedisPort = 56379;

    /// <summary>Environment variable every service reads for the base URL of another service.</summary>
    public static string ServiceUrlVariable(string name) => $"Services__{name}";

    public static readonly IReadOnlyList<ServiceSpec> Services =
    [
        new("gateway", "services/Gateway", "Platform.Services.Gateway", 5080, UsesPostgres: true, UsesRedis: true),
        new("portal", "web/Portal", "Platform.Portal", 5081, UsesPostgres: false, UsesRedis: false),
        new("inference", "services/Inference", "Platform.Services.Inference", 5091, UsesPostgres: false, UsesRedis: false),
        new("rag", "services/Rag", "Platform.Services.Rag", 5092, UsesPostgres: true, UsesRedis: true),
        new("ingestion", "services/Ingestion", "Platform.Services.Ingestion", 5093, UsesPostgres: true, UsesRedis: true),
        new("finetune", "services/FineTune", "Platform.Services.FineTune", 5094, UsesPostgres: true, UsesRedis: true),
        new("scheduler", "services/Scheduler", "Platform.Services.Scheduler", 5095, UsesPostgres: true, UsesRedis: true),
    ];

    /// <summary>The environment a service gets: its stores, and every other service's URL.</summary>
    public static Dictionary<string, string?> EnvironmentFor(ServiceSpec service, string postgres, string redis) =>
        EnvironmentFor(service, postgres, redis, Services);

    /// <summary>
    /// The environment a service gets when the platform's services listen where <paramref name="services"/>
    /// says (see <see cref="PlatformPorts"/>).
    /// </summary>
    public static Dictionary<string, string?> EnvironmentFor(ServiceSpec service, string postgres, string redis, IReadOnlyList<ServiceSpec> services)
    {
        var env = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = service.Url,
            ["DOTNET_NOLOGO"] = "1",
        };
        if (service.UsesPostgres)
        {
            env["ConnectionStrings__Postgres"] = postgres;
        }
        if (service.UsesRedis)
        {
            env["ConnectionStrings__Redis"] = redis;
        }
        foreach (var other in services)
        {
            env[ServiceUrlVariable(other.Name)] = other.Url;
        }
        return env;
    }
}
