using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;
using Platform.Scheduling.Workloads;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>
/// <c>Scheduler:Backend = kubernetes</c>: each pass lists the scheduler's Pods and Jobs (label
/// <see cref="KubernetesNames.Selector"/>), decides with <see cref="ReconcilePlan"/>, and creates or
/// deletes through KubernetesClient. Placements on the scheduler's own node are not its business.
/// A failed call is reported and tried again next pass.
/// </summary>
public sealed partial class KubernetesBackend(
    IKubernetes client, IOptions<KubernetesBackendOptions> options, IOptions<SchedulerOptions> scheduler, ILogger<KubernetesBackend> logger)
    : IWorkloadBackend
{
    private readonly KubernetesBackendOptions _options = options.Value;
    private readonly string _ownNode = scheduler.Value.NodeId;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <inheritdoc />
    public string Name => "kubernetes";

    /// <inheritdoc />
    public async Task<ReconcileReport> ReconcileAsync(IReadOnlyList<DesiredWorkload> desired, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var ns = _options.Namespace;
            var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: KubernetesNames.Selector, cancellationToken: cancellationToken);
            var jobs = await client.BatchV1.ListNamespacedJobAsync(ns, labelSelector: KubernetesNames.Selector, cancellationToken: cancellationToken);
            var actual = pods.Items.Select(ActualObject.From).Concat(jobs.Items.Select(ActualObject.From)).ToList();
            var (actions, report) = ReconcilePlan.Decide(desired.Where(d => d.NodeId != _ownNode).ToList(), actual, _options);
            foreach (var action in actions)
            {
                await ExecuteAsync(action, report, cancellationToken);
            }
            return report;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ExecuteAsync(ReconcileAction action, ReconcileReport report, CancellationToken cancellationToken)
    {
        var ns = _options.Namespace;
        try
        {
            switch (action)
            {
                case ReconcileAction.Create { Workload: var d, Template: var template } when d.Request.Kind == WorkloadKind.InferenceReplica:
                    var pod = await client.CoreV1.CreateNamespacedPodAsync(WorkloadManifests.Pod(d, template, _options), ns, cancellationToken: cancellationToken);
                    Created(d, $"pod/{pod.Metadata.Name}", report);
                    break;
                case ReconcileAction.Create { Workload: var d, Template: var template }:
                    var job = await client.BatchV1.CreateNamespacedJobAsync(WorkloadManifests.Job(d, template, _options), ns, cancellationToken: cancellationToken);
                    Created(d, $"job/{job.Metadata.Name}", report);
                    break;
                case ReconcileAction.Delete { Object: { Kind: "Pod" } o, GraceSeconds: var grace }:
                    await client.CoreV1.DeleteNamespacedPodAsync(o.Name, ns, gracePeriodSeconds: (int?)grace, cancellationToken: cancellationToken);
                    LogDeleted(logger, $"pod/{o.Name}", o.WorkloadId ?? "-");
                    break;
                case ReconcileAction.Delete { Object: var o, GraceSeconds: var grace }:
                    // Background propagation: the Job's pods get their termination grace period too.
                    await client.BatchV1.DeleteNamespacedJobAsync(o.Name, ns, gracePeriodSeconds: (int?)grace, propagationPolicy: "Background",
                        cancellationToken: cancellationToken);
                    LogDeleted(logger, $"job/{o.Name}", o.WorkloadId ?? "-");
                    break;
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && action is ReconcileAction.Create)
        {
            // Created by an earlier pass whose answer was lost: the next list adopts it.
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && action is ReconcileAction.Delete)
        {
            // Already gone.
        }
        catch (HttpOperationException e)
        {
            var what = action is ReconcileAction.Create c ? $"create for {c.Workload.Id}" : $"delete of {((ReconcileAction.Delete)action).Object.Name}";
            report.Errors.Add($"{what}: HTTP {(int)e.Response.StatusCode} {ApiMessage(e)}");
        }
    }

    private void Created(DesiredWorkload d, string handle, ReconcileReport report)
    {
        report.Started.Add(new WorkloadNote(d.Id, handle));
        report.Observed[d.Id] = new ObservedWorkload(Name, "pending", handle, null, 0, null);
        LogCreated(logger, handle, d.Id, d.NodeId);
    }

    private static string ApiMessage(HttpOperationException e)
    {
        try
        {
            return KubernetesJson.Deserialize<k8s.Models.V1Status>(e.Response.Content)?.Message ?? e.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            return e.Message;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Object} for {WorkloadId} on node {NodeId}")]
    private static partial void LogCreated(ILogger logger, string @object, string workloadId, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Object} ({WorkloadId})")]
    private static partial void LogDeleted(ILogger logger, string @object, string workloadId);
}
