using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>Settings of the Kubernetes backend (section <c>Scheduler:Kubernetes</c>).</summary>
public sealed class KubernetesBackendOptions
{
    /// <summary>Namespace the workload Pods and Jobs live in.</summary>
    [Required, RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    public string Namespace { get; set; } = "platform";

    /// <summary>
    /// API server URL. Empty: the in-cluster service account when running in a Pod, otherwise
    /// <see cref="KubeConfigPath"/>.
    /// </summary>
    public string ApiServer { get; set; } = "";

    /// <summary>kubeconfig file used outside a cluster; empty = the default (~/.kube/config or KUBECONFIG).</summary>
    public string KubeConfigPath { get; set; } = "";

    /// <summary>PriorityClass names are this prefix + the class name (infra/k8s/priority-classes.yaml).</summary>
    [RegularExpression("^[a-z0-9-]*$")]
    public string PriorityClassPrefix { get; set; } = "platform-";

    /// <summary>Node label that node affinity matches the placed node id against.</summary>
    [Required]
    public string NodeLabel { get; set; } = "kubernetes.io/hostname";

    /// <summary>Termination grace period of a stopped workload (a fine-tune gets its checkpoint time if longer).</summary>
    [Range(0, 86400)]
    public double GraceSeconds { get; set; } = 30;

    /// <summary>Retries of a fine-tune Job's pod before the Job fails.</summary>
    [Range(0, 100)]
    public int BackoffLimit { get; set; } = 3;

    /// <summary>Where the models volume is mounted in a replica's container: a scaled replica serves <c>{ModelsDir}/{model}</c>.</summary>
    [Required]
    public string ModelsDir { get; set; } = "/models";

    /// <summary>Container for each workload kind (<c>inference-replica</c>, <c>lora-fine-tune</c>, <c>full-fine-tune</c>).</summary>
    public Dictionary<string, KubernetesWorkloadTemplate> Workloads { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The container a workload kind runs.</summary>
public sealed class KubernetesWorkloadTemplate
{
    /// <summary>Container image.</summary>
    [Required]
    public string Image { get; set; } = "";

    /// <summary>Entrypoint override; empty = the image's.</summary>
    public List<string> Command { get; set; } = [];

    /// <summary>Arguments.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Extra environment variables.</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Port a replica listens on (exposed as a container port and in the pool view); 0 = none.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }
}
