namespace Platform.LocalInfra;

/// <summary>
/// The ports one `./platform up` listens on: the catalog's fixed ports (<see cref="Default"/>), or,
/// with `--port-base N`, the same layout packed into the block N .. N+<see cref="BlockSize"/>-1
/// (services at N + their offset from the gateway's 5080, PostgreSQL at N+16, Redis at N+17), so a
/// second platform (a test's) runs beside a developer's without a clash.
/// </summary>
public sealed class PlatformPorts
{
    /// <summary>Ports a moved platform takes, from its base.</summary>
    public const int BlockSize = 20;

    /// <summary>Lowest base accepted: below it are the privileged ports.</summary>
    public const int MinBase = 1024;

    /// <summary>Highest base accepted: the block must end at or below 65535.</summary>
    public const int MaxBase = 65535 - BlockSize + 1;

    private const int PostgresOffset = 16;
    private const int RedisOffset = 17;

    private PlatformPorts(int? portBase, IReadOnlyList<ServiceSpec> services, int postgres, int redis)
    {
        Base = portBase;
        Services = services;
        Postgres = postgres;
        Redis = redis;
    }

    /// <summary>The catalog's fixed ports: what `./platform up` uses without `--port-base`.</summary>
    public static PlatformPorts Default { get; } =
        new(null, ServiceCatalog.Services, ServiceCatalog.PostgresPort, ServiceCatalog.RedisPort);

    /// <summary>The base port given, or null for the catalog's fixed ports.</summary>
    public int? Base { get; }

    /// <summary>The catalog's services, each with its port here.</summary>
    public IReadOnlyList<ServiceSpec> Services { get; }

    /// <summary>Port of the embedded PostgreSQL.</summary>
    public int Postgres { get; }

    /// <summary>Port of the embedded Redis.</summary>
    public int Redis { get; }

    /// <summary>Every port of the layout: the services', then PostgreSQL's and Redis's.</summary>
    public IEnumerable<int> All => Services.Select(s => s.Port).Append(Postgres).Append(Redis);

    /// <summary>The catalog's layout moved to start at <paramref name="portBase"/>.</summary>
    /// <exception cref="InfraException">The block would not fit in [<see cref="MinBase"/>, 65535].</exception>
    public static PlatformPorts FromBase(int portBase)
    {
        if (portBase is < MinBase or > MaxBase)
        {
            throw new InfraException($"--port-base must be between {MinBase} and {MaxBase} (the platform takes {BlockSize} ports from it), got {portBase}.");
        }
        var first = ServiceCatalog.Services.Min(s => s.Port);
        var services = ServiceCatalog.Services.Select(s => s with { Port = portBase + (s.Port - first) }).ToList();
        return new PlatformPorts(portBase, services, portBase + PostgresOffset, portBase + RedisOffset);
    }

    /// <summary>The default layout for null, else <see cref="FromBase"/>.</summary>
    public static PlatformPorts For(int? portBase) => portBase is { } b ? FromBase(b) : Default;

    /// <summary>The service named <paramref name="name"/>, with its port here.</summary>
    public ServiceSpec Service(string name) => Services.Single(s => s.Name == name);

    /// <summary>The environment a service gets under this layout: its stores, and every other service's URL here.</summary>
    public Dictionary<string, string?> EnvironmentFor(ServiceSpec service, string postgres, string redis) =>
        ServiceCatalog.EnvironmentFor(Service(service.Name), postgres, redis, Services);
}
