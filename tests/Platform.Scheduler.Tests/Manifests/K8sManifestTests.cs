using Platform.LocalInfra;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Backends.Kubernetes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Platform.Scheduler.Tests.Manifests;

/// <summary>
/// infra/k8s cannot be deployed here (no cluster); these parse every manifest and keep ports and
/// environment names in step with the launcher's catalog and docker-compose.yml.
/// </summary>
public sealed class K8sManifestTests
{
    private static readonly RepoLayout Repo = RepoLayout.Find();
    private static readonly string Dir = Path.Combine(Repo.Root, "infra", "k8s");
    private static readonly List<(string File, Dictionary<object, object> Doc)> Docs = Load();

    private static List<(string, Dictionary<object, object>)> Load()
    {
        var docs = new List<(string, Dictionary<object, object>)>();
        var deserializer = new DeserializerBuilder().Build();
        foreach (var file in Directory.GetFiles(Dir, "*.yaml").Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(file);
            var parser = new Parser(reader);
            parser.Consume<YamlDotNet.Core.Events.StreamStart>();
            while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
            {
                if (deserializer.Deserialize(parser) is Dictionary<object, object> doc)
                {
                    docs.Add((Path.GetFileName(file), doc));
                }
            }
        }
        return docs;
    }

    private static Dictionary<object, object> Map(object o) => (Dictionary<object, object>)o;

    private static List<object> List(object o) => (List<object>)o;

    private static string Name(Dictionary<object, object> doc) => (string)Map(doc["metadata"])["name"];

    private static Dictionary<object, object> Object(string kind, string name) =>
        Docs.Select(d => d.Doc).SingleOrDefault(d => (string)d["kind"] == kind && d.ContainsKey("metadata") && Name(d) == name)
        ?? throw new Xunit.Sdk.XunitException($"infra/k8s has no {kind} '{name}'");

    private static Dictionary<object, object> PodSpec(string deployment) =>
        Map(Map(Map(Object("Deployment", deployment)["spec"])["template"])["spec"]);

    private static Dictionary<object, object> Container(string deployment) => Map(List(PodSpec(deployment)["containers"]).Single());

    private static Dictionary<string, Dictionary<object, object>> Env(string deployment) =>
        List(Container(deployment)["env"]).Select(Map).ToDictionary(e => (string)e["name"], e => e);

    private static Dictionary<string, string> ComposeEnvironment(string service)
    {
        using var reader = new StreamReader(Path.Combine(Repo.Root, "docker-compose.yml"));
        var root = Map(new DeserializerBuilder().Build().Deserialize(new MergingParser(new Parser(reader)))!);
        return Map(Map(Map(root["services"])[service])["environment"]).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value);
    }

    public static TheoryData<string> CatalogServices() => new(ServiceCatalog.Services.Select(s => s.Name));

    [Fact]
    public void Every_manifest_parses_and_names_its_api_version_kind_and_name()
    {
        Assert.NotEmpty(Docs);
        foreach (var (file, doc) in Docs)
        {
            Assert.True(doc.ContainsKey("apiVersion") && doc.ContainsKey("kind"), $"{file}: a document without apiVersion or kind");
            if ((string)doc["kind"] == "Kustomization")
            {
                continue;
            }
            Assert.Matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", Name(doc));
        }
        // The representation model parses them too: no duplicate keys, no tabs.
        foreach (var file in Directory.GetFiles(Dir, "*.yaml"))
        {
            new YamlStream().Load(new StringReader(File.ReadAllText(file)));
        }
    }

    [Theory]
    [MemberData(nameof(CatalogServices))]
    public void Each_service_is_a_deployment_and_a_service_on_the_launchers_port(string name)
    {
        var spec = ServiceCatalog.Services.Single(s => s.Name == name);
        var container = Container(name);
        Assert.Equal($"platform/{name}:dev", container["image"]);
        Assert.Equal(spec.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Map(List(container["ports"]).Single())["containerPort"]);
        Assert.Equal($"http://+:{spec.Port}", Env(name)["ASPNETCORE_URLS"]["value"]);
        var readiness = Map(Map(container["readinessProbe"])["httpGet"]);
        Assert.Equal(("/health/ready", spec.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), ((string)readiness["path"], (string)readiness["port"]));
        var port = Map(List(Map(Object("Service", name)["spec"])["ports"]).Single());
        Assert.Equal(spec.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), port["port"]);
        Assert.Equal(spec.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), port["targetPort"]);
        var selector = Map(Map(Object("Service", name)["spec"])["selector"]);
        var podLabels = Map(Map(Map(Map(Object("Deployment", name)["spec"])["template"])["metadata"])["labels"]);
        Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
    }

    [Theory]
    [MemberData(nameof(CatalogServices))]
    public void Each_service_gets_the_launchers_and_composes_environment_names(string name)
    {
        var spec = ServiceCatalog.Services.Single(s => s.Name == name);
        var env = Env(name);
        var launcherNames = ServiceCatalog.EnvironmentFor(spec, "pg", "redis").Keys.Where(k => !k.StartsWith("DOTNET_", StringComparison.Ordinal));
        Assert.Empty(launcherNames.Except(env.Keys));
        var compose = ComposeEnvironment(name);
        Assert.Empty(compose.Keys.Except(env.Keys));
        // Only the scheduler adds settings of its own (its backend); nothing else may drift from compose.
        Assert.All(env.Keys.Except(compose.Keys), extra => Assert.True(name == "scheduler" && extra.StartsWith("Scheduler__", StringComparison.Ordinal), $"{name}: {extra} is not in docker-compose.yml"));
        Assert.Equal(spec.UsesPostgres, env.ContainsKey("ConnectionStrings__Postgres"));
        Assert.Equal(spec.UsesRedis, env.ContainsKey("ConnectionStrings__Redis"));
        foreach (var other in ServiceCatalog.Services)
        {
            Assert.Equal($"http://{other.Name}:{other.Port}", env[ServiceCatalog.ServiceUrlVariable(other.Name)]["value"]);
        }
    }

    [Fact]
    public void Every_secret_reference_names_a_key_of_the_secret_template()
    {
        var (file, template) = Docs.Single(d => (string)d.Doc["kind"] == "Secret");
        Assert.Equal("secret.template.yaml", file);
        var keys = Map(template["stringData"]).Keys.Cast<string>().ToHashSet();
        Assert.Superset(new HashSet<string> { "PLATFORM_ADMIN_TOKEN", "PLATFORM_KEY_HASH_SECRET", "PLATFORM_INTERNAL_SECRET" }, keys);
        var references = Docs.SelectMany(d => SecretRefs(d.Doc)).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.True(r.Name == Name(template) && keys.Contains(r.Key), $"secretKeyRef {r.Name}/{r.Key} is not in the template"));
        Assert.Equal("PLATFORM_ADMIN_TOKEN", Map(Map(Env("gateway")["Gateway__AdminToken"]["valueFrom"])["secretKeyRef"])["key"]);
        Assert.Equal("PLATFORM_KEY_HASH_SECRET", Map(Map(Env("gateway")["Gateway__KeyHashSecret"]["valueFrom"])["secretKeyRef"])["key"]);
        Assert.All(ServiceCatalog.Services, s => Assert.Equal("PLATFORM_INTERNAL_SECRET", Map(Map(Env(s.Name)["Platform__InternalSecret"]["valueFrom"])["secretKeyRef"])["key"]));
    }

    private static IEnumerable<(string Name, string Key)> SecretRefs(object node) => node switch
    {
        Dictionary<object, object> map when map.TryGetValue("secretKeyRef", out var r) => [((string)Map(r)["name"], (string)Map(r)["key"])],
        Dictionary<object, object> map => map.Values.SelectMany(SecretRefs),
        List<object> list => list.SelectMany(SecretRefs),
        _ => [],
    };

    [Fact]
    public void Priority_classes_exist_for_every_class_the_backend_sets_in_the_same_order()
    {
        var values = Enum.GetValues<PriorityClass>().Select(p =>
        {
            var name = KubernetesNames.PriorityClassName(p, new KubernetesBackendOptions().PriorityClassPrefix);
            return long.Parse((string)Object("PriorityClass", name)["value"], System.Globalization.CultureInfo.InvariantCulture);
        }).ToList();
        Assert.Equal(values.Order(), values); // batch < consumer < enterprise < enterprise-guaranteed
        Assert.Equal(values.Count, values.Distinct().Count());
    }

    [Theory]
    [InlineData("inference")]
    [InlineData("finetune")]
    public void Gpu_services_request_the_device_plugins_resource_and_tolerate_gpu_nodes(string name)
    {
        Assert.Equal("1", Map(Map(Container(name)["resources"])["limits"])[GpuResources.Gpu]);
        Assert.Contains(List(PodSpec(name)["tolerations"]).Select(Map), t => (string)t["key"] == GpuResources.Gpu);
        Assert.StartsWith("platform-", (string)PodSpec(name)["priorityClassName"]);
    }

    [Fact]
    public void The_scheduler_may_manage_pods_and_jobs_and_runs_the_kubernetes_backend()
    {
        Assert.Equal("scheduler", PodSpec("scheduler")["serviceAccountName"]);
        var rules = List(Object("Role", "scheduler-workloads")["rules"]).Select(Map).ToList();
        foreach (var resource in new[] { "pods", "jobs" })
        {
            var verbs = rules.Where(r => List(r["resources"]).Contains(resource)).SelectMany(r => List(r["verbs"])).Cast<string>().ToList();
            Assert.Superset(new HashSet<string> { "list", "create", "delete" }, verbs.ToHashSet());
        }
        Assert.Equal("kubernetes", Env("scheduler")["Scheduler__Backend"]["value"]);
        Assert.Equal("false", Env("scheduler")["Scheduler__CpuDevice"]["value"]);
    }

    [Fact]
    public void The_gpu_worker_agent_runs_on_every_gpu_node_with_the_nvidia_runtime_and_no_gpu_of_its_own()
    {
        var daemonSet = Object("DaemonSet", "gpu-worker");
        var template = Map(Map(daemonSet["spec"])["template"]);
        var spec = Map(template["spec"]);
        Assert.Equal("nvidia", spec["runtimeClassName"]);
        Assert.Equal("true", Map(spec["nodeSelector"])["nvidia.com/gpu.present"]);
        Assert.Contains(List(spec["tolerations"]).Select(Map), t => (string)t["key"] == GpuResources.Gpu && (string)t["operator"] == "Exists");
        var selector = Map(Map(Map(daemonSet["spec"])["selector"])["matchLabels"]);
        Assert.All(selector, kv => Assert.Equal(kv.Value, Map(template["metadata"])["labels"] is Dictionary<object, object> labels ? labels[kv.Key] : null));

        var container = Map(List(spec["containers"]).Single());
        var command = List(container["command"]).Cast<string>().ToList();
        Assert.Equal(["dotnet", "/app/platform.dll", "worker"], command.Take(3));
        var scheduler = ServiceCatalog.Services.Single(s => s.Name == "scheduler");
        Assert.Equal($"http://scheduler:{scheduler.Port}", command[command.IndexOf("--scheduler") + 1]);
        Assert.Equal("$(NODE_NAME)", command[command.IndexOf("--node-id") + 1]);
        var env = List(container["env"]).Select(Map).ToDictionary(e => (string)e["name"], e => e);
        Assert.Equal("spec.nodeName", Map(Map(env["NODE_NAME"]["valueFrom"])["fieldRef"])["fieldPath"]);
        Assert.Equal("PLATFORM_INTERNAL_SECRET", Map(Map(env["Platform__InternalSecret"]["valueFrom"])["secretKeyRef"])["key"]);
        Assert.Equal("all", env["NVIDIA_VISIBLE_DEVICES"]["value"]);
        Assert.Contains("utility", ((string)env["NVIDIA_DRIVER_CAPABILITIES"]["value"]).Split(','));
        // It reads the GPUs; it must not take one from the workloads.
        var resources = Map(container["resources"]);
        Assert.DoesNotContain(resources.Values.Select(Map).SelectMany(r => r.Keys.Cast<string>()), k => k.StartsWith("nvidia.com/", StringComparison.Ordinal));
    }

    [Fact]
    public void Postgres_with_pgvector_and_redis_back_the_services_and_the_kustomization_lists_every_manifest_but_the_template()
    {
        var postgres = Map(List(Map(Map(Map(Object("StatefulSet", "postgres")["spec"])["template"])["spec"])["containers"]).Single());
        Assert.StartsWith("pgvector/pgvector:", (string)postgres["image"]);
        Assert.Equal("5432", Map(List(Map(Object("Service", "postgres")["spec"])["ports"]).Single())["port"]);
        Assert.Equal("6379", Map(List(Map(Object("Service", "redis")["spec"])["ports"]).Single())["port"]);
        var kustomization = Docs.Single(d => (string)d.Doc["kind"] == "Kustomization").Doc;
        var resources = List(kustomization["resources"]).Cast<string>().Order(StringComparer.Ordinal);
        var files = Directory.GetFiles(Dir, "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not "kustomization.yaml" and not "secret.template.yaml").Order(StringComparer.Ordinal);
        Assert.Equal(files, resources);
    }
}
