using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Backends.Kubernetes;
using static Platform.Scheduler.Tests.Backends.Placements;

namespace Platform.Scheduler.Tests.Kubernetes;

/// <summary>
/// The scaled replica set on the Kubernetes backend: the planner's replicas, placed by the policy, become Pods for the
/// model, and a scale-in deletes the newest Pods with their grace period. The API server is the fake one answering from
/// recorded responses (no cluster can run here); it keeps the Pods it was sent, as an API server would.
/// </summary>
public sealed class ReplicaSetKubernetesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 30, 0, TimeSpan.Zero);
    private static readonly ServedModel Model = new("llama-3-8b", "/data/models/llama-3-8b", 8 * Gib);

    private static readonly KubernetesBackendOptions Options = new()
    {
        Namespace = "platform",
        GraceSeconds = 30,
        ModelsDir = "/models",
        Workloads = new(StringComparer.OrdinalIgnoreCase)
        {
            ["inference-replica"] = new() { Image = "registry.example/platform-inference:1.0", Port = 8000 },
        },
    };

    /// <summary>The fake API server with the Pods it was sent: POST adds one, DELETE marks it deleted, the kubelet "runs" them.</summary>
    private sealed class Cluster
    {
        private readonly Dictionary<string, JsonNode> _pods = new(StringComparer.Ordinal);

        public FakeKubernetesApi Api { get; private init; } = null!;

        public static async Task<Cluster> StartAsync()
        {
            var cluster = new Cluster { Api = await FakeKubernetesApi.StartAsync(new Dictionary<string, string>()) };
            cluster.Api.Override = cluster.Answer;
            return cluster;
        }

        public void RunAll()
        {
            var ip = 10;
            foreach (var pod in _pods.Values)
            {
                pod["spec"]!["nodeName"] = pod["spec"]!["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!
                    ["matchExpressions"]![0]!["values"]![0]!.GetValue<string>();
                pod["status"] = JsonNode.Parse(Api.Fixture("pod-status-running.json", ("ip", $"10.244.3.{ip++}")));
            }
        }

        /// <summary>Pods being deleted finish terminating.</summary>
        public void FinishDeletions()
        {
            foreach (var name in _pods.Where(p => p.Value["metadata"]!["deletionTimestamp"] is not null).Select(p => p.Key).ToList())
            {
                _pods.Remove(name);
            }
        }

        private (int, string)? Answer(ApiRequest r)
        {
            switch (r.Method, r.Path)
            {
                case ("GET", "/api/v1/namespaces/platform/pods"):
                    var list = JsonNode.Parse(Api.Fixture("pods-list-empty.json"))!;
                    foreach (var pod in _pods.Values)
                    {
                        list["items"]!.AsArray().Add(pod.DeepClone());
                    }
                    return (200, list.ToJsonString());
                case ("GET", "/apis/batch/v1/namespaces/platform/jobs"):
                    return (200, Api.Fixture("jobs-list-empty.json"));
                case ("POST", "/api/v1/namespaces/platform/pods"):
                    var created = r.Json;
                    created["metadata"]!["uid"] = Guid.NewGuid().ToString();
                    created["status"] = new JsonObject { ["phase"] = "Pending" };
                    _pods[created["metadata"]!["name"]!.GetValue<string>()] = created;
                    return (201, created.ToJsonString());
                case ("DELETE", var path) when path.StartsWith("/api/v1/namespaces/platform/pods/", StringComparison.Ordinal):
                    var name = path.Split('/')[^1];
                    if (!_pods.TryGetValue(name, out var deleted))
                    {
                        return (404, Api.Fixture("status-not-found.json", ("deleted", name)));
                    }
                    deleted["metadata"]!["deletionTimestamp"] = "2026-11-25T09:40:00Z";
                    return (200, deleted.ToJsonString());
                default:
                    return null;
            }
        }
    }

    private static KubernetesBackend Backend(FakeKubernetesApi api) => new(
        new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url }),
        Microsoft.Extensions.Options.Options.Create(Options),
        Microsoft.Extensions.Options.Options.Create(new SchedulerOptions { NodeId = "scheduler-host" }),
        NullLogger<KubernetesBackend>.Instance);

    private static List<DesiredWorkload> Desired(PoolState state, ReplicaSetSpec spec) =>
        state.Running.Select(w => new DesiredWorkload(w, w.DeviceIds.Select(state.Inventory.Device).ToList(), false, spec.Owns(w.Request.Id) ? Model : null))
            .ToList();

    private static List<ReplicaMember> Members(PoolState state, ReplicaSetSpec spec) =>
        state.Running.Where(w => spec.Owns(w.Request.Id))
            .Select(w => new ReplicaMember(w.Request.Id, w.Terminating ? ReplicaPhase.Terminating : ReplicaPhase.Ready, w.StartedAt)).ToList();

    [Fact]
    public async Task The_recommended_count_becomes_model_pods_on_the_placed_nodes_and_a_scale_in_deletes_the_newest_gracefully()
    {
        var state = new PoolState(new PoolInventory([A100Node("gpu-node-1"), PoolInventory.LocalCpuNode("scheduler-host", 8 * Gib)]));
        var policy = new PlatformPolicy(QuotaTable.Create([], state.Inventory.CapacityBytes));
        var spec = new ReplicaSetSpec(Model.Name, Acme, PriorityClass.Enterprise, 26 * Gib, MinReplicas: 1, MaxReplicas: 4, TimeSpan.FromSeconds(60));
        var planner = new ReplicaSetPlanner(spec);
        var cluster = await Cluster.StartAsync();
        await using var api = cluster.Api;
        var backend = Backend(api);

        // Pressure: three replicas, placed by the policy (26 GiB does not fit the scheduler's 8 GiB CPU, so on the GPUs).
        var change = planner.Plan(3, Members(state, spec), 0, Now);
        var decisions = SchedulingCycle.Run(policy, state, change.Add.Select(r => new PendingWorkload(r, Now)).ToList(), Now);
        Assert.All(decisions, d => Assert.IsType<SchedulingDecision.Place>(d.Decision));
        var report = await backend.ReconcileAsync(Desired(state, spec), CancellationToken.None);
        Assert.Equal(["serving/llama-3-8b/1", "serving/llama-3-8b/2", "serving/llama-3-8b/3"], report.Started.Select(n => n.WorkloadId).Order());
        var pods = api.Sent("POST").Select(r => r.Json).ToList();
        Assert.Equal(3, pods.Count);
        foreach (var pod in pods)
        {
            Assert.Equal("llama-3-8b", pod["metadata"]!["labels"]!["platform/model"]!.GetValue<string>());
            Assert.Equal("platform-enterprise", pod["spec"]!["priorityClassName"]!.GetValue<string>());
            Assert.Equal("1", pod["spec"]!["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]!.GetValue<string>());
            var env = pod["spec"]!["containers"]![0]!["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
            Assert.Equal("llama-3-8b", env["PLATFORM_MODEL"]);
            Assert.Equal("/models/llama-3-8b", env["Inference__Models__llama-3-8b"]);
            Assert.Equal((8 * Gib).ToString(System.Globalization.CultureInfo.InvariantCulture), env["Inference__KvCacheBytes"]);
            var node = pod["spec"]!["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!;
            Assert.Equal("gpu-node-1", node["values"]![0]!.GetValue<string>());
        }

        // Running: adopted, with their pod IP as the endpoint the scraper and the gateway use; nothing created twice.
        cluster.RunAll();
        var running = await backend.ReconcileAsync(Desired(state, spec), CancellationToken.None);
        Assert.Empty(running.Started);
        Assert.Equal(3, api.Sent("POST").Count());
        Assert.All(running.Observed.Values, o => Assert.Matches(@"^http://10\.244\.3\.\d+:8000$", o.Endpoint));

        // Pressure gone: after the cooldown the two newest are stopped, with the grace period; the minimum stays.
        var later = Now.AddMinutes(10);
        Assert.True(planner.Plan(1, Members(state, spec), 0, later).IsEmpty);
        var scaleIn = planner.Plan(1, Members(state, spec), 0, later.AddSeconds(60));
        Assert.Equal(2, scaleIn.Remove.Count);
        foreach (var id in scaleIn.Remove)
        {
            state.MarkTerminating(id);
        }
        var stopping = await backend.ReconcileAsync(Desired(state, spec), CancellationToken.None);
        var deletes = api.Sent("DELETE").ToList();
        Assert.Equal(2, deletes.Count);
        Assert.All(deletes, d => Assert.Contains("gracePeriodSeconds=30", d.Query));
        Assert.Equal(scaleIn.Remove.Select(id => KubernetesNames.ObjectName(state.Find(id)!.Request)).Order(), deletes.Select(d => d.Path.Split('/')[^1]).Order());
        Assert.Empty(stopping.Stopped);
        Assert.All(scaleIn.Remove, id => Assert.Equal("stopping", stopping.Observed[id].State));

        // Once the Pods are gone the pool is told, and releases them; the remaining replica is left alone.
        cluster.FinishDeletions();
        var gone = await backend.ReconcileAsync(Desired(state, spec), CancellationToken.None);
        Assert.Equal(scaleIn.Remove.Order(), gone.Stopped.Order());
        Assert.Equal(2, api.Sent("DELETE").Count());
        foreach (var id in gone.Stopped)
        {
            state.Release(id);
        }
        Assert.Equal(["serving/llama-3-8b/1"], state.Running.Select(w => w.Request.Id));
    }
}
