using Platform.LocalInfra;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Platform.Foundation.Tests.Compose;

/// <summary>docker-compose.yml cannot run here (no Docker engine); these keep it in step with `./platform up`.</summary>
public sealed class ComposeFileTests
{
    private static readonly RepoLayout Repo = RepoLayout.Find();
    private static readonly Dictionary<object, object> Services = LoadServices();

    private static Dictionary<object, object> LoadServices()
    {
        using var reader = new StreamReader(Path.Combine(Repo.Root, "docker-compose.yml"));
        var parser = new MergingParser(new Parser(reader));
        var root = (Dictionary<object, object>)new DeserializerBuilder().Build().Deserialize(parser)!;
        return (Dictionary<object, object>)root["services"];
    }

    private static Dictionary<object, object> Service(string name) =>
        Services.TryGetValue(name, out var s) ? (Dictionary<object, object>)s : throw new Xunit.Sdk.XunitException($"docker-compose.yml has no service '{name}'");

    private static Dictionary<string, string> Environment(string name) =>
        ((Dictionary<object, object>)Service(name)["environment"]).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value);

    public static TheoryData<string> CatalogServices() => new(ServiceCatalog.Services.Select(s => s.Name));

    [Fact]
    public void Compose_has_exactly_the_launchers_services_plus_the_two_stores()
    {
        var expected = ServiceCatalog.Services.Select(s => s.Name).Append("postgres").Append("redis").Order();
        Assert.Equal(expected, Services.Keys.Cast<string>().Order());
    }

    [Theory]
    [MemberData(nameof(CatalogServices))]
    public void Each_service_uses_the_launchers_port(string name)
    {
        var spec = ServiceCatalog.Services.Single(s => s.Name == name);
        Assert.Equal($"http://+:{spec.Port}", Environment(name)["ASPNETCORE_URLS"]);
        var ports = ((List<object>)Service(name)["ports"]).Cast<string>();
        Assert.Contains($"{spec.Port}:{spec.Port}", ports);
        var healthcheck = string.Join(' ', ((List<object>)((Dictionary<object, object>)Service(name)["healthcheck"])["test"]).Cast<string>());
        Assert.Contains($"http://localhost:{spec.Port}/health/ready", healthcheck);
    }

    [Theory]
    [MemberData(nameof(CatalogServices))]
    public void Each_service_gets_the_same_environment_names_as_under_the_launcher(string name)
    {
        var spec = ServiceCatalog.Services.Single(s => s.Name == name);
        var launcherNames = ServiceCatalog.EnvironmentFor(spec, "pg", "redis").Keys
            .Where(k => !k.StartsWith("DOTNET_", StringComparison.Ordinal))
            .Append("Platform__InternalSecret");
        var composeNames = Environment(name).Keys;
        Assert.Empty(launcherNames.Except(composeNames));
        Assert.Equal(spec.UsesPostgres, composeNames.Contains("ConnectionStrings__Postgres"));
        Assert.Equal(spec.UsesRedis, composeNames.Contains("ConnectionStrings__Redis"));
    }

    [Theory]
    [MemberData(nameof(CatalogServices))]
    public void Services_wait_for_healthy_stores_and_build_from_the_shared_dockerfile(string name)
    {
        var spec = ServiceCatalog.Services.Single(s => s.Name == name);
        var service = Service(name);
        if (spec.UsesPostgres || spec.UsesRedis)
        {
            var dependsOn = (Dictionary<object, object>)service["depends_on"];
            foreach (var store in new[] { ("postgres", spec.UsesPostgres), ("redis", spec.UsesRedis) }.Where(s => s.Item2))
            {
                var condition = (Dictionary<object, object>)dependsOn[store.Item1];
                Assert.Equal("service_healthy", condition["condition"]);
            }
        }
        var build = (Dictionary<object, object>)service["build"];
        Assert.True(File.Exists(Path.Combine(Repo.Root, (string)build["dockerfile"])));
        var args = (Dictionary<object, object>)build["args"];
        Assert.Equal(spec.AssemblyName, args["ASSEMBLY"]);
        Assert.True(File.Exists(Path.Combine(Repo.Root, (string)args["PROJECT"])), $"{args["PROJECT"]} does not exist");
        Assert.StartsWith(spec.ProjectDir + "/", (string)args["PROJECT"]);
    }

    [Fact]
    public void Stores_have_health_checks_and_data_lives_in_a_named_volume()
    {
        Assert.StartsWith("pgvector/pgvector:", (string)Service("postgres")["image"]);
        Assert.True(Service("postgres").ContainsKey("healthcheck"));
        Assert.True(Service("redis").ContainsKey("healthcheck"));
        Assert.Contains("data:/var/lib/postgresql/data", ((List<object>)Service("postgres")["volumes"]).Cast<string>());
    }
}
