using k8s.Models;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>A listed Pod or Job of the scheduler, reduced to what reconciling needs.</summary>
/// <param name="Kind">Pod or Job.</param>
/// <param name="Name">Object name.</param>
/// <param name="WorkloadId">The <c>platform/workload-id</c> annotation.</param>
/// <param name="PlacementHash">The <c>platform/placement-hash</c> annotation.</param>
/// <param name="NodeName">Node a Pod was bound to; null for a Job or an unbound Pod.</param>
/// <param name="Phase">Pod phase (Pending, Running, Succeeded, Failed, Unknown), or Job state (Pending, Running, Complete, Failed).</param>
/// <param name="Deleting">A deletion is under way (deletionTimestamp set).</param>
/// <param name="Restarts">Container restarts (Pod) or failed pods (Job).</param>
/// <param name="Reason">Why it is in its phase, when the API says.</param>
/// <param name="PodIp">A Pod's IP.</param>
public sealed record ActualObject(string Kind, string Name, string? WorkloadId, string? PlacementHash, string? NodeName, string Phase,
    bool Deleting, int Restarts, string? Reason, string? PodIp)
{
    /// <summary>From a listed Pod.</summary>
    public static ActualObject From(V1Pod pod) => new(
        "Pod", pod.Metadata.Name, Annotation(pod.Metadata, KubernetesNames.WorkloadIdAnnotation), Annotation(pod.Metadata, KubernetesNames.PlacementAnnotation),
        pod.Spec?.NodeName, pod.Status?.Phase ?? "Pending", pod.Metadata.DeletionTimestamp is not null,
        pod.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0,
        pod.Status?.Reason ?? pod.Status?.ContainerStatuses?.Select(c => c.State?.Waiting?.Reason ?? c.LastState?.Terminated?.Reason).FirstOrDefault(r => r is not null),
        pod.Status?.PodIP);

    /// <summary>From a listed Job.</summary>
    public static ActualObject From(V1Job job)
    {
        var conditions = job.Status?.Conditions ?? [];
        var complete = conditions.FirstOrDefault(c => c.Type == "Complete" && c.Status == "True");
        var failed = conditions.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
        var phase = complete is not null ? "Complete" : failed is not null ? "Failed" : job.Status?.Active > 0 ? "Running" : "Pending";
        var reason = failed is not null ? $"{failed.Reason}: {failed.Message}" : null;
        return new ActualObject("Job", job.Metadata.Name, Annotation(job.Metadata, KubernetesNames.WorkloadIdAnnotation),
            Annotation(job.Metadata, KubernetesNames.PlacementAnnotation), null, phase, job.Metadata.DeletionTimestamp is not null,
            job.Status?.Failed ?? 0, reason, null);
    }

    private static string? Annotation(V1ObjectMeta metadata, string key) => metadata.Annotations is { } a && a.TryGetValue(key, out var v) ? v : null;
}
