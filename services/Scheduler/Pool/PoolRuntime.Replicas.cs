using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Policies;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Serving;

namespace Platform.Services.Scheduler.Pool;

// Inference replicas: the registered Inference service, the serving metrics, and the replica set scaled from them.
public sealed partial class PoolRuntime
{
    private ServedModel? ModelOf(string workloadId) =>
        replicas.Planner is { } planner && planner.Spec.Owns(workloadId) ? replicas.Model : null;

    private bool IsScaled(string workloadId) => replicas.Planner?.Spec.Owns(workloadId) == true;

    /// <summary>Places the Inference service of <c>Services:inference</c> on this host's CPU device (not persisted: it is registered at each start).</summary>
    private async Task RegisterServiceReplicaLockedAsync(GpuNode local, DateTimeOffset now)
    {
        var cpu = local.Devices.FirstOrDefault(d => d.Model == "cpu");
        if (replicas.ServiceRequest("cpu") is not { } request || _state.Find(request.Id) is not null)
        {
            return;
        }
        if (cpu is null)
        {
            LogServiceNotRegistered(logger, replicas.ServiceUrl!, "this host's CPU is not a pool device (Scheduler:CpuDevice is false)");
            return;
        }
        if (_state.FreeBytes(cpu.Id) < request.MemoryPerDeviceBytes)
        {
            LogServiceNotRegistered(logger, replicas.ServiceUrl!, $"it needs {request.MemoryPerDeviceBytes} bytes and {cpu.Id} has {_state.FreeBytes(cpu.Id)} free");
            return;
        }
        _state.Bind(request, [cpu.Id], now);
        _borrowing[request.Id] = Quotas.BorrowingWorkloads(_state).Contains(request.Id);
        await events.PublishAsync(new PoolEvent("placed", request.Id, null, [cpu.Id], $"the Inference service at {replicas.ServiceUrl}", now));
    }

    /// <summary>
    /// The registered service runs outside the scheduler's control: when it is preempted, its memory is handed over at
    /// once (the process keeps running, unaccounted) and it is not registered again until the next start.
    /// </summary>
    private async Task ReleasePreemptedServiceLockedAsync(CancellationToken cancellationToken)
    {
        if (_state.Find(InferenceReplicas.ServiceReplicaId) is { Terminating: true })
        {
            await ReleaseLockedAsync(InferenceReplicas.ServiceReplicaId, "released",
                "preempted; the Inference service is not the scheduler's to stop, so its memory is no longer accounted", cancellationToken);
        }
    }

    /// <summary>Probes the replicas' readiness, then scrapes the Inference endpoints and plans (before scheduling).</summary>
    private async Task ObserveServingAsync(CancellationToken cancellationToken)
    {
        List<(string WorkloadId, string? Endpoint)> placed;
        int pendingScaled;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            placed = _state.Running.Where(w => w.Request.Kind == WorkloadKind.InferenceReplica && !w.Terminating)
                .Select(w => (w.Request.Id, EndpointOfLocked(w.Request.Id))).ToList();
            pendingScaled = _pending.Count(p => IsScaled(p.Request.Id));
        }
        finally
        {
            _lock.Release();
        }
        await replicas.ProbeAsync(placed, cancellationToken);
        // The service's URL is scraped as a configured endpoint already.
        var targets = placed.Where(r => r.Endpoint is not null && r.WorkloadId != InferenceReplicas.ServiceReplicaId)
            .Select(r => new ScrapeTarget(r.Endpoint!, r.WorkloadId));
        var notReady = placed.Count(r => !replicas.IsReady(r.WorkloadId)) + pendingScaled;
        await serving.ObserveAsync(targets.ToList(), notReady, cancellationToken);
    }

    private string? EndpointOfLocked(string workloadId) =>
        workloadId == InferenceReplicas.ServiceReplicaId ? replicas.ServiceUrl : _observed.GetValueOrDefault(workloadId)?.Endpoint;

    /// <summary>Carries the replica recommendation out: queues new replicas for placement, drops or stops the ones not wanted.</summary>
    private async Task ScaleReplicasLockedAsync(DateTimeOffset now)
    {
        if (replicas.Planner is not { } planner)
        {
            return;
        }
        var members = _pending.Where(p => IsScaled(p.Request.Id)).Select(p => new ReplicaMember(p.Request.Id, ReplicaPhase.Pending, p.EnqueuedAt))
            .Concat(_state.Running.Where(w => IsScaled(w.Request.Id)).Select(w => new ReplicaMember(w.Request.Id,
                w.Terminating ? ReplicaPhase.Terminating : replicas.IsReady(w.Request.Id) ? ReplicaPhase.Ready : ReplicaPhase.Starting, w.StartedAt)))
            .ToList();
        // Replicas the scheduler does not run (the launcher's Inference service) that answered count towards the recommendation.
        var outside = serving.Last?.Replicas.Count(r => r.WorkloadId is null && r.Error is null) ?? 0;
        var change = planner.Plan(serving.Last?.Plan?.RecommendedReplicas, members, outside, now);
        if (change.IsEmpty)
        {
            return;
        }
        LogReplicaChange(logger, planner.Spec.Name, change.Desired, change.Add.Count, change.Remove.Count, change.Reason);
        foreach (var request in change.Add)
        {
            _pending.Add(new PendingWorkload(request, now));
            await events.PublishAsync(new PoolEvent("scale-out", request.Id, null, null, change.Reason, now));
        }
        foreach (var id in change.Remove)
        {
            if (_pending.RemoveAll(p => p.Request.Id == id) > 0)
            {
                _pendingReason.Remove(id);
            }
            else if (_state.Find(id) is { Terminating: false })
            {
                _state.MarkTerminating(id); // the backend stops it gracefully; its memory is released once it is gone
            }
            await events.PublishAsync(new PoolEvent("scale-in", id, null, _state.Find(id)?.DeviceIds, change.Reason, now));
        }
    }

    private List<InferenceReplicaView> ReplicaViewsLocked()
    {
        var readings = serving.Last?.Replicas ?? [];
        var views = new List<InferenceReplicaView>();
        foreach (var w in _state.Running.Where(w => w.Request.Kind == WorkloadKind.InferenceReplica)
            .OrderBy(w => w.StartedAt).ThenBy(w => w.Request.Id, StringComparer.Ordinal))
        {
            var id = w.Request.Id;
            var url = EndpointOfLocked(id)?.TrimEnd('/');
            var ready = !w.Terminating && replicas.IsReady(id);
            var reading = url is null ? null : readings.FirstOrDefault(r => string.Equals(r.Endpoint, url, StringComparison.OrdinalIgnoreCase));
            views.Add(new InferenceReplicaView(id, SourceOf(id), ModelOf(id)?.Name, w.Terminating ? "terminating" : ready ? "ready" : "starting",
                url, string.Join(',', w.DeviceIds), ready, reading?.Error is null ? reading?.Queue : null, reading?.Error is null ? reading?.Running : null,
                reading?.TtftP95Seconds, reading?.Error));
        }
        views.AddRange(_pending.Where(p => IsScaled(p.Request.Id)).Select(p =>
            new InferenceReplicaView(p.Request.Id, "scheduler", replicas.Model?.Name, "pending", null, null, false, null, null, null, null)));
        return views;
    }

    private string SourceOf(string workloadId) =>
        workloadId == InferenceReplicas.ServiceReplicaId ? "service" : IsScaled(workloadId) ? "scheduler" : "allocation";

    /// <summary>Publishes the live replica set for the gateway (<see cref="InferenceReplicas.RedisKey"/>).</summary>
    private async Task PublishReplicasAsync(CancellationToken cancellationToken)
    {
        List<InferenceReplicaView> views;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            views = ReplicaViewsLocked();
        }
        finally
        {
            _lock.Release();
        }
        await replicas.PublishAsync(views, TimeSpan.FromSeconds(_options.AdmissionTtlSeconds));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replicas of {Model}: desired {Desired}, adding {Added}, removing {Removed} ({Reason})")]
    private static partial void LogReplicaChange(ILogger logger, string model, int desired, int added, int removed, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Inference service at {Url} is not registered as a replica: {Reason}")]
    private static partial void LogServiceNotRegistered(ILogger logger, string url, string reason);
}
