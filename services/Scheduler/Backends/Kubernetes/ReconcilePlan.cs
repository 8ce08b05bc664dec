using Platform.Scheduling.Workloads;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>An API call the reconciler decided on.</summary>
public abstract record ReconcileAction
{
    private ReconcileAction() { }

    /// <summary>Create the Pod or Job of a placement.</summary>
    public sealed record Create(DesiredWorkload Workload, KubernetesWorkloadTemplate Template) : ReconcileAction;

    /// <summary>Delete an object, with a grace period (null = the object's own).</summary>
    public sealed record Delete(ActualObject Object, long? GraceSeconds) : ReconcileAction;
}

/// <summary>
/// The pure half of the Kubernetes backend: desired placements against listed objects, giving the
/// calls to make and the report. Objects are matched by name (<see cref="KubernetesNames.ObjectName"/>).
/// </summary>
public static class ReconcilePlan
{
    /// <summary>Decides. <paramref name="desired"/> holds only the placements this backend manages.</summary>
    public static (IReadOnlyList<ReconcileAction> Actions, ReconcileReport Report) Decide(
        IReadOnlyList<DesiredWorkload> desired, IReadOnlyList<ActualObject> actual, KubernetesBackendOptions options)
    {
        var actions = new List<ReconcileAction>();
        var report = new ReconcileReport();
        var byName = actual.GroupBy(o => o.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var wantedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in desired)
        {
            var name = KubernetesNames.ObjectName(d.Request);
            wantedNames.Add(name);
            var kind = d.Request.Kind == WorkloadKind.InferenceReplica ? "Pod" : "Job";
            var o = byName.GetValueOrDefault(name);
            if (o is not null && o.Kind != kind)
            {
                actions.Add(new ReconcileAction.Delete(o, null));
                report.Drift.Add(new WorkloadNote(d.Id, $"{o.Kind.ToLowerInvariant()}/{name} should be a {kind}: deleted"));
                o = null;
                if (!d.Stop)
                {
                    continue; // recreate once the wrong object is gone
                }
            }
            if (d.Stop)
            {
                Stop(d, o, options, actions, report);
            }
            else
            {
                Run(d, o, options, actions, report);
            }
        }
        foreach (var o in actual.Where(o => !wantedNames.Contains(o.Name) && !o.Deleting))
        {
            actions.Add(new ReconcileAction.Delete(o, null));
            report.Drift.Add(new WorkloadNote(o.WorkloadId ?? o.Name, $"{o.Kind.ToLowerInvariant()}/{o.Name} has no placement: deleted"));
        }
        return (actions, report);
    }

    private static void Stop(DesiredWorkload d, ActualObject? o, KubernetesBackendOptions options, List<ReconcileAction> actions, ReconcileReport report)
    {
        if (o is null)
        {
            report.Stopped.Add(d.Id);
            return;
        }
        if (!o.Deleting)
        {
            actions.Add(new ReconcileAction.Delete(o, (long)Math.Ceiling(d.GraceSeconds(options.GraceSeconds))));
        }
        report.Observed[d.Id] = Observed(o, "stopping", null);
    }

    private static void Run(DesiredWorkload d, ActualObject? o, KubernetesBackendOptions options, List<ReconcileAction> actions, ReconcileReport report)
    {
        var template = WorkloadManifests.TemplateFor(d, options);
        if (o is null)
        {
            if (template is null)
            {
                var kind = Pool.WorkloadKinds.ToName(d.Request.Kind);
                report.Failed.Add(new WorkloadNote(d.Id, $"the kubernetes backend has no container for kind '{kind}' (Scheduler:Kubernetes:Workloads:{kind})"));
            }
            else
            {
                actions.Add(new ReconcileAction.Create(d, template));
            }
            return;
        }
        var handle = $"{o.Kind.ToLowerInvariant()}/{o.Name}";
        if (o.Deleting)
        {
            report.Observed[d.Id] = Observed(o, "replacing", null); // created again once it is gone
            return;
        }
        if (o.PlacementHash != KubernetesNames.PlacementHash(d))
        {
            actions.Add(new ReconcileAction.Delete(o, null));
            report.Drift.Add(new WorkloadNote(d.Id, $"{handle} was made for another placement: deleted, to be created again"));
            return;
        }
        if (o.NodeName is { } node && node != d.NodeId)
        {
            actions.Add(new ReconcileAction.Delete(o, null));
            report.Drift.Add(new WorkloadNote(d.Id, $"{handle} runs on node '{node}', placed on '{d.NodeId}': deleted, to be created again"));
            return;
        }
        switch (o.Phase)
        {
            case "Complete" or "Succeeded" when d.Request.Kind != WorkloadKind.InferenceReplica:
                actions.Add(new ReconcileAction.Delete(o, null));
                report.Completed.Add(new WorkloadNote(d.Id, $"{handle} completed"));
                return;
            case "Failed" when o.Kind == "Job":
                actions.Add(new ReconcileAction.Delete(o, null));
                report.Failed.Add(new WorkloadNote(d.Id, $"{handle} failed ({o.Reason ?? "no reason given"})"));
                return;
            case "Failed" or "Succeeded":
                // A bare Pod that ended (evicted, or a replica that exited): replace it.
                actions.Add(new ReconcileAction.Delete(o, 0));
                report.Restarted.Add(new WorkloadNote(d.Id, $"{handle} ended ({o.Reason ?? o.Phase}): deleted, to be created again"));
                return;
        }
        var endpoint = o.PodIp is { } ip && template is { Port: > 0 } t ? $"http://{ip}:{t.Port}" : null;
        report.Observed[d.Id] = Observed(o, o.Phase.ToLowerInvariant(), endpoint);
    }

    private static ObservedWorkload Observed(ActualObject o, string state, string? endpoint) =>
        new("kubernetes", state, $"{o.Kind.ToLowerInvariant()}/{o.Name}", endpoint, o.Restarts, o.Reason);
}
