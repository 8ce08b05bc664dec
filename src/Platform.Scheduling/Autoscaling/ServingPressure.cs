using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Autoscaling;

/// <summary>
/// Turns the Inference replicas' queue, running and latency metrics into the autoscaler's signals and
/// the admission share's enterprise reserve. Offered load is queued + running sequences × tokens per
/// sequence (Little's law on what is in the system now), so a growing queue asks for replicas, and
/// shrinks the consumer share when it is enterprise work, before the latency objective is missed. Scaling in
/// waits for the autoscaler's stabilisation window, and so does releasing the reserve: the highest
/// recommendation and reserve of the window hold, as the Kubernetes HPA holds its recommendations, so the
/// consumer share does not bounce back between two bursts. Time comes from the caller.
/// </summary>
public sealed class ServingPressure(AutoscalerSettings autoscaling)
{
    private readonly ReplicaAutoscaler _autoscaler = new(autoscaling);
    private readonly Queue<(DateTimeOffset At, long Reserve)> _recent = new();
    private int _recommended;

    /// <summary>The plan for <paramref name="loads"/> (one entry per replica that reported); null when none reported.</summary>
    public ServingPlan? Plan(IReadOnlyList<ReplicaLoad> loads, ServingSettings settings, DateTimeOffset now, int notReadyReplicas = 0)
    {
        ArgumentNullException.ThrowIfNull(loads);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.TokensPerSequence);
        if (loads.Count == 0)
        {
            return null;
        }
        var classes = loads.SelectMany(l => l.Classes).ToList();
        var queued = classes.Sum(c => c.Queued);
        var running = classes.Sum(c => c.Running);
        // A replica can report before its engine has published any class (its gauges appear with the first request).
        var p95 = classes.Count == 0 ? 0 : classes.Max(c => c.TtftP95Seconds ?? 0);
        var reported = loads.Where(l => l.KvTokenCapacity > 0).ToList();
        var tokensPerReplica = reported.Count > 0 ? (long)reported.Average(l => l.KvTokenCapacity) : settings.FallbackTokensPerReplica;
        var demand = (queued + running) * settings.TokensPerSequence;
        var recommended = _autoscaler.Recommend(
            // Replicas recommended earlier count as current even before they report, so that they are scaled in
            // only after the stabilisation window.
            new ReplicaSignals(Math.Max(loads.Count, _recommended), demand, tokensPerReplica, queued, p95, settings.TtftSloSeconds, notReadyReplicas), now);

        var enterprise = classes.Where(c => c.Priority > PriorityClass.Consumer).ToList();
        var enterpriseSequences = enterprise.Sum(c => c.Queued + c.Running);
        var extra = Math.Max(0, recommended - loads.Count);
        var enterpriseReplicas = queued + running == 0 ? 0 : (int)Math.Ceiling(extra * enterpriseSequences / (double)(queued + running));
        // Enterprise sequences queuing past the objective need a replica even when the totals do not show it.
        if (enterprise.Any(c => c.Queued > 0 && c.TtftP95Seconds > settings.TtftSloSeconds) && notReadyReplicas == 0)
        {
            enterpriseReplicas = Math.Max(enterpriseReplicas, 1);
        }
        var consumerDemand = classes.Where(c => c.Priority == PriorityClass.Consumer).Sum(c => c.Queued + c.Running) * settings.TokensPerSequence;

        _recommended = recommended;
        _recent.Enqueue((now, enterpriseReplicas * settings.ReplicaBytes));
        while (_recent.Peek().At < now - _autoscaler.Settings.ScaleInStabilization)
        {
            _recent.Dequeue();
        }
        return new ServingPlan(loads.Count, recommended, queued, running, p95, _recent.Max(r => r.Reserve), consumerDemand);
    }
}
