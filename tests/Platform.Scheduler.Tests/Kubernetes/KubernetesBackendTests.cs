using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Tests.Backends;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Backends.Kubernetes;
using static Platform.Scheduler.Tests.Backends.Placements;

namespace Platform.Scheduler.Tests.Kubernetes;

/// <summary>
/// The Kubernetes backend against recorded API responses. No cluster can run here, so these check the
/// manifests the real KubernetesClient sends and the reconcile decisions it makes from the lists it gets.
/// </summary>
public sealed class KubernetesBackendTests
{
    private static readonly KubernetesBackendOptions Options = new()
    {
        Namespace = "platform",
        GraceSeconds = 30,
        BackoffLimit = 3,
        Workloads = new(StringComparer.OrdinalIgnoreCase)
        {
            ["inference-replica"] = new() { Image = "registry.example/platform-inference:1.0", Port = 8000, Environment = { ["Inference__Model"] = "llama-3-8b" } },
            ["lora-fine-tune"] = new() { Image = "registry.example/platform-finetune-worker:1.0", Args = ["--resume"] },
            ["full-fine-tune"] = new() { Image = "registry.example/platform-finetune-worker:1.0" },
        },
    };

    private sealed record Scenario(IReadOnlyList<DesiredWorkload> Desired, Dictionary<string, string> Names);

    private static Scenario Pool()
    {
        var pool = new Placements(A100Node("gpu-node-1"), MigNode("mig-node"), PoolInventory.LocalCpuNode("scheduler-host", 8 * Gib));
        var desired = new List<DesiredWorkload>
        {
            pool.Bind("acme/replica-0", Acme, PriorityClass.EnterpriseGuaranteed, WorkloadKind.InferenceReplica, 60 * Gib, "gpu-node-1/gpu0"),
            pool.Bind("acme/replica-1", Acme, PriorityClass.EnterpriseGuaranteed, WorkloadKind.InferenceReplica, 60 * Gib, "gpu-node-1/gpu1"),
            pool.Bind("acme/replica-2", Acme, PriorityClass.EnterpriseGuaranteed, WorkloadKind.InferenceReplica, 10 * Gib, "gpu-node-1/gpu0"),
            pool.Bind("research/ft-gang", Research, PriorityClass.Batch, WorkloadKind.FullFineTune, 30 * Gib, "gpu-node-1/gpu2", "gpu-node-1/gpu3"),
            pool.Terminating(pool.Bind(new WorkloadRequest("research/lora-1", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, 10 * Gib)
                { CheckpointSeconds = 120 }, "gpu-node-1/gpu2")),
            pool.Terminating(pool.Bind("research/lora-2", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, 10 * Gib, "gpu-node-1/gpu3")),
            pool.Bind("research/lora-3", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, 10 * Gib, "gpu-node-1/gpu3"),
            pool.Bind("research/lora-4", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, 10 * Gib, "gpu-node-1/gpu1"),
            pool.Bind("consumers/replica-mig", Consumers, PriorityClass.Consumer, WorkloadKind.InferenceReplica, 8 * Gib, "mig-node/gpu0"),
            pool.Bind("consumers/on-the-scheduler", Consumers, PriorityClass.Consumer, WorkloadKind.InferenceReplica, 1 * Gib, "scheduler-host/cpu"),
        };
        var names = desired.SelectMany(d => new[]
        {
            KeyValuePair.Create("name:" + d.Id, KubernetesNames.ObjectName(d.Request)),
            KeyValuePair.Create("hash:" + d.Id, KubernetesNames.PlacementHash(d)),
        }).ToDictionary();
        return new Scenario(desired, names);
    }

    private static KubernetesBackend Backend(FakeKubernetesApi api) => new(
        new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url }),
        Microsoft.Extensions.Options.Options.Create(Options),
        Microsoft.Extensions.Options.Options.Create(new SchedulerOptions { NodeId = "scheduler-host" }),
        NullLogger<KubernetesBackend>.Instance);

    private static JsonNode Created(FakeKubernetesApi api, string workloadId) =>
        api.Sent("POST").Select(r => r.Json).Single(j => j["metadata"]!["annotations"]!["platform/workload-id"]!.GetValue<string>() == workloadId);

    private static string[] Deleted(FakeKubernetesApi api) => api.Sent("DELETE").Select(r => r.Path.Split('/')[^1]).Order().ToArray();

    [Fact]
    public async Task Reconcile_creates_missing_workloads_deletes_stopped_finished_and_orphaned_ones_and_reports_drift()
    {
        var scenario = Pool();
        await using var api = await FakeKubernetesApi.StartAsync(scenario.Names);
        var name = (string id) => scenario.Names["name:" + id];

        var report = await Backend(api).ReconcileAsync(scenario.Desired, CancellationToken.None);

        // Lists are scoped by the managed-by label.
        var lists = api.Sent("GET").ToList();
        Assert.Equal(["/api/v1/namespaces/platform/pods", "/apis/batch/v1/namespaces/platform/jobs"], lists.Select(r => r.Path));
        Assert.All(lists, r => Assert.Contains("labelSelector=app.kubernetes.io%2Fmanaged-by%3Dplatform-scheduler", r.Query));

        // Created: the missing replica, the gang Job and the MIG replica — nothing for the scheduler's own node.
        Assert.Equal(["acme/replica-1", "consumers/replica-mig", "research/ft-gang"], report.Started.Select(n => n.WorkloadId).Order());
        Assert.Equal(3, api.Sent("POST").Count());
        Assert.Equal(["/api/v1/namespaces/platform/pods", "/api/v1/namespaces/platform/pods", "/apis/batch/v1/namespaces/platform/jobs"],
            api.Sent("POST").Select(r => r.Path).Order());

        // Deleted: the preempted Job (checkpoint grace), the completed and the failed Jobs, the stale replica and the orphan.
        Assert.Equal(
            new[] { name("acme/replica-2"), name("research/lora-1"), name("research/lora-3"), name("research/lora-4"), "replica-acme-ghost-0badf00d" }.Order(),
            Deleted(api));
        var preempted = api.Sent("DELETE").Single(r => r.Path.EndsWith(name("research/lora-1"), StringComparison.Ordinal));
        Assert.Contains("gracePeriodSeconds=120", preempted.Query);
        Assert.Contains("propagationPolicy=Background", preempted.Query);

        Assert.Equal(["research/lora-2"], report.Stopped); // preempted and already gone: the pool may release it
        Assert.Equal("research/lora-3", Assert.Single(report.Completed).WorkloadId);
        var failed = Assert.Single(report.Failed);
        Assert.Equal("research/lora-4", failed.WorkloadId);
        Assert.Contains("BackoffLimitExceeded", failed.Note);
        Assert.Equal(["acme/ghost", "acme/replica-2"], report.Drift.Select(n => n.WorkloadId).Order());
        Assert.Contains("another placement", report.Drift.Single(n => n.WorkloadId == "acme/replica-2").Note);
        Assert.Empty(report.Errors);

        // The replica that matches its placement is adopted as it is.
        var running = report.Observed["acme/replica-0"];
        Assert.Equal(("running", $"pod/{name("acme/replica-0")}", "http://10.244.3.21:8000", 1), (running.State, running.Handle, running.Endpoint, running.Restarts));
        Assert.Equal("stopping", report.Observed["research/lora-1"].State);
    }

    [Fact]
    public async Task A_replica_pod_requests_its_gpu_on_the_placed_node_with_its_priority_class_and_placement_labels()
    {
        var scenario = Pool();
        await using var api = await FakeKubernetesApi.StartAsync(scenario.Names);
        await Backend(api).ReconcileAsync(scenario.Desired, CancellationToken.None);

        var pod = Created(api, "acme/replica-1");
        Assert.Equal("Pod", pod["kind"]!.GetValue<string>());
        var metadata = pod["metadata"]!;
        Assert.Equal(scenario.Names["name:acme/replica-1"], metadata["name"]!.GetValue<string>());
        Assert.Equal("platform-scheduler", metadata["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal(Acme, metadata["labels"]!["platform/tenant"]!.GetValue<string>());
        Assert.Equal("enterprise-guaranteed", metadata["labels"]!["platform/priority"]!.GetValue<string>());
        Assert.Equal("gpu-node-1/gpu1", metadata["annotations"]!["platform/device-ids"]!.GetValue<string>());
        Assert.Equal(scenario.Names["hash:acme/replica-1"], metadata["annotations"]!["platform/placement-hash"]!.GetValue<string>());

        var spec = pod["spec"]!;
        Assert.Equal("platform-enterprise-guaranteed", spec["priorityClassName"]!.GetValue<string>());
        Assert.Equal("Always", spec["restartPolicy"]!.GetValue<string>());
        Assert.Equal(30, spec["terminationGracePeriodSeconds"]!.GetValue<long>());
        var term = spec["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!;
        Assert.Equal(("kubernetes.io/hostname", "In", "gpu-node-1"),
            (term["key"]!.GetValue<string>(), term["operator"]!.GetValue<string>(), term["values"]![0]!.GetValue<string>()));
        var container = spec["containers"]![0]!;
        Assert.Equal("registry.example/platform-inference:1.0", container["image"]!.GetValue<string>());
        Assert.Equal("1", container["resources"]!["limits"]!["nvidia.com/gpu"]!.GetValue<string>());
        Assert.Equal(8000, container["ports"]![0]!["containerPort"]!.GetValue<int>());
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        Assert.Equal("acme/replica-1", env["PLATFORM_WORKLOAD_ID"]);
        Assert.Equal("llama-3-8b", env["Inference__Model"]);
        Assert.Equal("NoSchedule", spec["tolerations"]![0]!["effect"]!.GetValue<string>());

        var mig = Created(api, "consumers/replica-mig")["spec"]!;
        Assert.Equal("platform-consumer", mig["priorityClassName"]!.GetValue<string>());
        var limits = mig["containers"]![0]!["resources"]!["limits"]!.AsObject();
        Assert.Equal("1", Assert.Single(limits, l => l.Key == "nvidia.com/mig-1g.10gb").Value!.GetValue<string>());
        Assert.DoesNotContain(limits, l => l.Key == "nvidia.com/gpu");
    }

    [Fact]
    public async Task A_fine_tune_gang_is_a_job_for_all_its_gpus_whose_pods_are_not_listed_as_the_schedulers()
    {
        var scenario = Pool();
        await using var api = await FakeKubernetesApi.StartAsync(scenario.Names);
        await Backend(api).ReconcileAsync(scenario.Desired, CancellationToken.None);

        var job = Created(api, "research/ft-gang");
        Assert.Equal(("Job", "batch/v1"), (job["kind"]!.GetValue<string>(), job["apiVersion"]!.GetValue<string>()));
        Assert.Equal(3, job["spec"]!["backoffLimit"]!.GetValue<int>());
        var template = job["spec"]!["template"]!;
        Assert.Null(template["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]);
        Assert.Equal(scenario.Names["name:research/ft-gang"], template["metadata"]!["labels"]!["platform/workload"]!.GetValue<string>());
        var spec = template["spec"]!;
        Assert.Equal("OnFailure", spec["restartPolicy"]!.GetValue<string>());
        Assert.Equal("platform-batch", spec["priorityClassName"]!.GetValue<string>());
        Assert.Equal("2", spec["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]!.GetValue<string>());
        Assert.Equal("gpu-node-1/gpu2,gpu-node-1/gpu3", job["metadata"]!["annotations"]!["platform/device-ids"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_create_that_already_exists_is_adopted_and_a_refused_call_is_reported_not_thrown()
    {
        var scenario = Pool();
        await using var api = await FakeKubernetesApi.StartAsync(scenario.Names);
        api.Override = r => (r.Method, r.Path) switch
        {
            ("POST", "/api/v1/namespaces/platform/pods") when r.Body.Contains("consumers/replica-mig", StringComparison.Ordinal) =>
                (409, api.Fixture("status-already-exists.json", ("created", r.Json["metadata"]!["name"]!.GetValue<string>()))),
            ("POST", "/apis/batch/v1/namespaces/platform/jobs") => (403, api.Fixture("status-forbidden.json")),
            _ => null,
        };

        var report = await Backend(api).ReconcileAsync(scenario.Desired, CancellationToken.None);

        Assert.Equal(["acme/replica-1"], report.Started.Select(n => n.WorkloadId));
        var error = Assert.Single(report.Errors);
        Assert.Contains("research/ft-gang", error);
        Assert.Contains("HTTP 403", error);
        Assert.Contains("cannot create resource", error);
    }

    [Fact]
    public async Task An_unreachable_api_server_fails_the_pass_so_nothing_is_released_on_a_guess()
    {
        var scenario = Pool();
        await using var api = await FakeKubernetesApi.StartAsync(scenario.Names);
        api.Override = r => r.Method == "GET" ? (503, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","code":503}""") : null;

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => Backend(api).ReconcileAsync(scenario.Desired, CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.Response.StatusCode);
        Assert.Empty(api.Sent("POST"));
        Assert.Empty(api.Sent("DELETE"));
    }

    [Fact]
    public void Names_are_valid_dns_labels_and_stable_per_workload()
    {
        var request = new WorkloadRequest(new string('X', 80) + "/Ünïcode replica", Acme, PriorityClass.Consumer, WorkloadKind.InferenceReplica, Gib);
        var name = KubernetesNames.ObjectName(request);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
        Assert.InRange(name.Length, 1, 63);
        Assert.Equal(name, KubernetesNames.ObjectName(request with { MemoryPerDeviceBytes = 2 * Gib }));
        Assert.NotEqual(name, KubernetesNames.ObjectName(request with { Id = request.Id + "2" }));
        Assert.StartsWith("finetune-", KubernetesNames.ObjectName(request with { Kind = WorkloadKind.LoraFineTune }));
    }

    [Theory]
    [InlineData(80L, 10L, "nvidia.com/mig-1g.10gb")]
    [InlineData(80L, 20L, "nvidia.com/mig-2g.20gb")]
    [InlineData(80L, 40L, "nvidia.com/mig-3g.40gb")]
    [InlineData(40L, 5L, "nvidia.com/mig-1g.5gb")]
    [InlineData(80L, 80L, "nvidia.com/gpu")]
    public void Mig_slices_map_to_the_device_plugins_resource_names(long deviceGib, long sliceGib, string expected)
    {
        var device = new GpuDevice("n/gpu0", "n", "A100", deviceGib * Gib, "n/gpu0") { MigSliceBytes = [sliceGib * Gib] };
        Assert.Equal((expected, 1), GpuResources.For([device], sliceGib * Gib));
        Assert.Null(GpuResources.For([PoolInventory.LocalCpuNode("h", Gib).Devices[0]], Gib));
    }
}
