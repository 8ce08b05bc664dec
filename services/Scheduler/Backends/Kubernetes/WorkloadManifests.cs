using System.Globalization;
using k8s.Models;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Pool;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>
/// Generates the object for a placement: a Pod for an inference replica (restartPolicy Always), a Job
/// for a fine-tune (restartPolicy OnFailure, <see cref="KubernetesBackendOptions.BackoffLimit"/>). Both
/// ask the device plugin for the placed GPUs or MIG slice, require the placed node, carry the
/// priority class, and are labelled and annotated with the placement.
/// </summary>
public static class WorkloadManifests
{
    /// <summary>The template for the workload's kind; null when none is configured.</summary>
    public static KubernetesWorkloadTemplate? TemplateFor(DesiredWorkload d, KubernetesBackendOptions options) =>
        options.Workloads.GetValueOrDefault(WorkloadKinds.ToName(d.Request.Kind));

    /// <summary>A replica's Pod.</summary>
    public static V1Pod Pod(DesiredWorkload d, KubernetesWorkloadTemplate template, KubernetesBackendOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = Metadata(d, options, withManagedBy: true),
        Spec = PodSpec(d, template, options, "Always"),
    };

    /// <summary>A fine-tune's Job. Its pod template is not labelled managed-by, so the Pod list sees only replicas.</summary>
    public static V1Job Job(DesiredWorkload d, KubernetesWorkloadTemplate template, KubernetesBackendOptions options) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = Metadata(d, options, withManagedBy: true),
        Spec = new V1JobSpec
        {
            BackoffLimit = options.BackoffLimit,
            Template = new V1PodTemplateSpec
            {
                Metadata = Metadata(d, options, withManagedBy: false),
                Spec = PodSpec(d, template, options, "OnFailure"),
            },
        },
    };

    private static V1ObjectMeta Metadata(DesiredWorkload d, KubernetesBackendOptions options, bool withManagedBy)
    {
        var name = KubernetesNames.ObjectName(d.Request);
        var labels = new Dictionary<string, string>
        {
            [KubernetesNames.WorkloadLabel] = name,
            [KubernetesNames.TenantLabel] = d.Request.TenantId,
            [KubernetesNames.PriorityLabel] = d.Request.Priority.ToName(),
            [KubernetesNames.KindLabel] = WorkloadKinds.ToName(d.Request.Kind),
        };
        if (withManagedBy)
        {
            labels[KubernetesNames.ManagedBy] = KubernetesNames.ManagedByValue;
        }
        if (d.Model is { } model)
        {
            labels[KubernetesNames.ModelLabel] = KubernetesNames.LabelValue(model.Name);
        }
        return new V1ObjectMeta
        {
            Name = withManagedBy ? name : null,
            NamespaceProperty = withManagedBy ? options.Namespace : null,
            Labels = labels,
            Annotations = new Dictionary<string, string>
            {
                [KubernetesNames.WorkloadIdAnnotation] = d.Id,
                [KubernetesNames.DevicesAnnotation] = string.Join(',', d.Workload.DeviceIds),
                [KubernetesNames.PlacementAnnotation] = KubernetesNames.PlacementHash(d),
                [KubernetesNames.BorrowingAnnotation] = d.Borrowing ? "true" : "false",
            },
        };
    }

    private static V1PodSpec PodSpec(DesiredWorkload d, KubernetesWorkloadTemplate template, KubernetesBackendOptions options, string restartPolicy)
    {
        var resources = new V1ResourceRequirements();
        var tolerations = new List<V1Toleration>();
        if (GpuResources.For(d.Devices, d.Workload.ChargedBytesPerDevice) is { } gpu)
        {
            // Extended resources are requested through limits (requests default to them and may not differ).
            resources.Limits = new Dictionary<string, ResourceQuantity> { [gpu.Name] = new(gpu.Count.ToString(CultureInfo.InvariantCulture)) };
            tolerations.Add(new V1Toleration { Key = GpuResources.Gpu, OperatorProperty = "Exists", Effect = "NoSchedule" });
        }
        var env = new List<V1EnvVar>
        {
            Env("PLATFORM_WORKLOAD_ID", d.Id),
            Env("PLATFORM_TENANT_ID", d.Request.TenantId),
            Env("PLATFORM_PRIORITY", d.Request.Priority.ToName()),
            Env("PLATFORM_WORKLOAD_KIND", WorkloadKinds.ToName(d.Request.Kind)),
            Env("PLATFORM_DEVICE_IDS", string.Join(',', d.Workload.DeviceIds)),
            Env("PLATFORM_MEMORY_PER_DEVICE_BYTES", d.Request.MemoryPerDeviceBytes.ToString(CultureInfo.InvariantCulture)),
        };
        if (d.Model is { } model)
        {
            // A scaled replica serves its model from the models volume, with the KV budget it was sized for.
            env.Add(Env("PLATFORM_MODEL", model.Name));
            env.Add(Env($"Inference__Models__{model.Name}", $"{options.ModelsDir.TrimEnd('/')}/{model.Name}"));
            env.Add(Env("Inference__KvCacheBytes", model.KvCacheBytes.ToString(CultureInfo.InvariantCulture)));
        }
        env.AddRange(template.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => Env(e.Key, e.Value)));
        var container = new V1Container
        {
            Name = "workload",
            Image = template.Image,
            Command = template.Command.Count > 0 ? template.Command : null,
            Args = template.Args.Count > 0 ? template.Args : null,
            Env = env,
            Resources = resources,
            Ports = template.Port > 0 ? [new V1ContainerPort { ContainerPort = template.Port, Name = "http" }] : null,
        };
        return new V1PodSpec
        {
            RestartPolicy = restartPolicy,
            PriorityClassName = KubernetesNames.PriorityClassName(d.Request.Priority, options.PriorityClassPrefix),
            TerminationGracePeriodSeconds = (long)Math.Ceiling(d.GraceSeconds(options.GraceSeconds)),
            Affinity = new V1Affinity
            {
                NodeAffinity = new V1NodeAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                    {
                        NodeSelectorTerms =
                        [
                            new V1NodeSelectorTerm
                            {
                                MatchExpressions = [new V1NodeSelectorRequirement { Key = options.NodeLabel, OperatorProperty = "In", Values = [d.NodeId] }],
                            },
                        ],
                    },
                },
            },
            Tolerations = tolerations.Count > 0 ? tolerations : null,
            Containers = [container],
        };
    }

    private static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };
}
