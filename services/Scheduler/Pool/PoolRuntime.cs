using Microsoft.Extensions.Options;
using Platform.Scheduling;
using Platform.Scheduling.Admission;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Placement;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Data;
using Platform.Services.Scheduler.Serving;

namespace Platform.Services.Scheduler.Pool;

/// <summary>What became of an allocation request.</summary>
public abstract record AllocationOutcome
{
    private AllocationOutcome() { }

    /// <summary>Bound to devices.</summary>
    public sealed record Placed(RunningWorkload Workload, bool Borrowing) : AllocationOutcome;

    /// <summary>Queued; the background loop keeps trying (and may be preempting others for it).</summary>
    public sealed record Pending(string Reason) : AllocationOutcome;

    /// <summary>Can never be placed in this pool.</summary>
    public sealed record Rejected(string Reason) : AllocationOutcome;
}

/// <summary>
/// The live pool: inventory, placements, pending queue and heartbeats, driven by the pure policy in
/// Platform.Scheduling and persisted in the <c>scheduler</c> schema. One lock serialises changes.
/// Decisions are carried out by the <see cref="IWorkloadBackend"/>, reconciled outside the lock.
/// </summary>
public sealed partial class PoolRuntime(
    PoolStore store, PoolEvents events, IWorkloadBackend backend, ServingMonitor serving, InferenceReplicas replicas, TimeProvider time,
    IOptions<SchedulerOptions> options, ILogger<PoolRuntime> logger)
{
    private readonly AllocationLeases _leases = new(time);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly SchedulerOptions _options = options.Value;
    private readonly List<PendingWorkload> _pending = [];
    private readonly Dictionary<string, string> _pendingReason = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _borrowing = new(StringComparer.Ordinal);
    private readonly HashSet<string> _workerNodes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _configNodes = new(StringComparer.Ordinal);
    private QuotaOvercommit _overcommit = QuotaOvercommit.None;
    private PoolState _state = new(PoolInventory.Empty);
    private HeartbeatMonitor? _heartbeats;
    private PlatformPolicy? _policy;
    private readonly Dictionary<string, WorkloadStatus> _finished = new(StringComparer.Ordinal);
    private Dictionary<string, ObservedWorkload> _observed = new(StringComparer.Ordinal);
    private PublishedShare? _share;

    /// <summary>Quotas in force (validated at start).</summary>
    public QuotaTable Quotas { get; private set; } = QuotaTable.Create([], long.MaxValue);

    /// <summary>Loads the stored pool, adds this host's node, and rebinds stored placements.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Quotas = QuotaTable.Create(
            _options.Quotas.Select(q => new TenantQuota(q.TenantId.ToString("D"), Gib(q.GuaranteedGib), q.BorrowingLimitGib is { } b ? Gib(b) : null)),
            long.MaxValue);
        _policy = new PlatformPolicy(Quotas);
        _heartbeats = new HeartbeatMonitor(time, TimeSpan.FromSeconds(_options.HeartbeatIntervalSeconds), _options.MissedHeartbeats);
        replicas.Initialize(backendActs: backend is not NoBackend);
        var now = time.GetUtcNow();
        var local = await LocalDevices.DetectAsync(_options, logger, cancellationToken);
        await store.UpsertNodeAsync(local, "local", now, cancellationToken);
        var configured = ConfiguredInventory.Nodes(_options);
        await store.DeleteConfiguredNodesExceptAsync(configured.Select(n => n.Id).ToList(), cancellationToken);
        foreach (var node in configured)
        {
            await store.UpsertNodeAsync(node, "config", now, cancellationToken);
            _configNodes.Add(node.Id);
        }
        await _lock.WaitAsync(cancellationToken);
        try
        {
            _state = new PoolState(PoolInventory.Empty);
            foreach (var stored in await store.NodesAsync(cancellationToken))
            {
                _state.Register(stored.Node);
                if (stored.Source == "worker")
                {
                    _workerNodes.Add(stored.Node.Id);
                    if (stored.DrainedAt is not null)
                    {
                        _state.Drain(stored.Node.Id);
                    }
                    else
                    {
                        _heartbeats.Beat(stored.Node.Id); // a fresh interval to heartbeat again after our restart
                    }
                }
            }
            foreach (var p in await store.PlacementsAsync(cancellationToken))
            {
                if (!Rebind(p))
                {
                    await store.DeletePlacementAsync(p.WorkloadId, cancellationToken);
                }
            }
            await RegisterServiceReplicaLockedAsync(local, now);
            CheckOvercommitLocked();
        }
        finally
        {
            _lock.Release();
        }
        LogStarted(logger, local.Id, local.Devices.Count, _state.Inventory.Devices.Count, _state.Running.Count);
    }

    private bool Rebind(StoredPlacement p)
    {
        if (!PriorityClassNames.TryParse(p.Priority, out var priority) || !WorkloadKinds.TryParse(p.Kind, out var kind)
            || !p.DeviceIds.All(_state.Inventory.Contains))
        {
            LogDroppedPlacement(logger, p.WorkloadId);
            return false;
        }
        var request = new WorkloadRequest(p.WorkloadId, p.TenantId.ToString("D"), priority, kind, p.MemoryPerDeviceBytes, p.DeviceIds.Count);
        try
        {
            _state.Bind(request, p.DeviceIds, p.PlacedAt);
            _borrowing[p.WorkloadId] = p.Borrowing;
            if (p.LeaseSeconds is { } lease)
            {
                _leases.Grant(p.WorkloadId, TimeSpan.FromSeconds(lease)); // a fresh lease: the holder could not renew while we were down
            }
            return true;
        }
        catch (InvalidOperationException e)
        {
            LogDroppedPlacement(logger, $"{p.WorkloadId}: {e.Message}");
            return false;
        }
    }

    /// <summary>Registers (or re-registers) a worker node from its GPU report. Throws <see cref="SchedulingInputException"/> on impossible numbers.</summary>
    public async Task<GpuNode> RegisterAsync(string nodeId, IReadOnlyList<GpuReport> gpus, IReadOnlyList<IReadOnlyList<int>>? nvLinkGroups, CancellationToken cancellationToken)
    {
        if (nodeId == _options.NodeId)
        {
            throw new SchedulingInputException($"node id '{nodeId}' is the scheduler's own node");
        }
        if (_configNodes.Contains(nodeId))
        {
            throw new SchedulingInputException($"node id '{nodeId}' is a configured node (Scheduler:Nodes); a worker must use another id");
        }
        var node = WorkerRegistration.ToNode(nodeId, gpus, nvLinkGroups);
        var now = time.GetUtcNow();
        await _lock.WaitAsync(cancellationToken);
        try
        {
            try
            {
                _state.Register(node);
            }
            catch (InvalidOperationException e)
            {
                throw new SchedulingInputException(e.Message);
            }
            _workerNodes.Add(nodeId);
            _heartbeats!.Beat(nodeId);
            await store.UpsertNodeAsync(node, "worker", now, cancellationToken);
            CheckOvercommitLocked();
        }
        finally
        {
            _lock.Release();
        }
        await events.PublishAsync(new PoolEvent("node-registered", null, nodeId, node.Devices.Select(d => d.Id).ToList(), null, now));
        return node;
    }

    /// <summary>Records a worker heartbeat; false for an unknown node (it must register first).</summary>
    public async Task<bool> HeartbeatAsync(string nodeId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!_workerNodes.Contains(nodeId))
            {
                return false;
            }
            var now = time.GetUtcNow();
            _heartbeats!.Beat(nodeId);
            _state.Uncordon(nodeId);
            CheckOvercommitLocked();
            return await store.HeartbeatAsync(nodeId, now, cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Queues the request and runs a scheduling cycle at once; an id already running returns its placement.
    /// With a <paramref name="lease"/>, the allocation (pending or placed) is released unless it is read again within it.
    /// </summary>
    public async Task<AllocationOutcome> AllocateAsync(WorkloadRequest request, CancellationToken cancellationToken, TimeSpan? lease = null)
    {
        var outcome = await AllocateLockedAsync(request, lease, cancellationToken);
        if (outcome is not AllocationOutcome.Rejected)
        {
            await SyncBackendAsync(cancellationToken); // start it, or stop its victims, now rather than at the next tick
        }
        return outcome;
    }

    private async Task<AllocationOutcome> AllocateLockedAsync(WorkloadRequest request, TimeSpan? lease, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_state.Find(request.Id) is { } running)
            {
                if (running.Request != request)
                {
                    throw new SchedulingInputException($"workload '{request.Id}' is already placed with different parameters");
                }
                RenewOrGrant(request.Id, lease);
                return new AllocationOutcome.Placed(running, _borrowing.GetValueOrDefault(request.Id));
            }
            if (Feasibility.WhyNever(_state.Inventory, request) is { } never)
            {
                return new AllocationOutcome.Rejected(never);
            }
            _pending.RemoveAll(p => p.Request.Id == request.Id);
            _finished.Remove(request.Id);
            _pending.Add(new PendingWorkload(request, time.GetUtcNow()));
            RenewOrGrant(request.Id, lease);
            await RunCycleLockedAsync(cancellationToken);
            if (_state.Find(request.Id) is { } placed)
            {
                return new AllocationOutcome.Placed(placed, _borrowing.GetValueOrDefault(request.Id));
            }
            var reason = _pendingReason.GetValueOrDefault(request.Id, "queued");
            if (_pending.Any(p => p.Request.Id == request.Id))
            {
                return new AllocationOutcome.Pending(reason);
            }
            _leases.Remove(request.Id);
            return new AllocationOutcome.Rejected(reason);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Releases a placement or cancels a pending request; false when the id is unknown.</summary>
    public async Task<bool> ReleaseAsync(string workloadId, CancellationToken cancellationToken)
    {
        bool released;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_state.Find(workloadId) is not null)
            {
                await ReleaseLockedAsync(workloadId, "released", null, cancellationToken);
                released = true;
            }
            else
            {
                _pendingReason.Remove(workloadId);
                _leases.Remove(workloadId);
                return _pending.RemoveAll(p => p.Request.Id == workloadId) > 0;
            }
        }
        finally
        {
            _lock.Release();
        }
        await SyncBackendAsync(cancellationToken); // the backend stops what no longer has a placement
        return released;
    }

    private async Task ReleaseLockedAsync(string workloadId, string eventType, string? reason, CancellationToken cancellationToken)
    {
        _state.Release(workloadId);
        _borrowing.Remove(workloadId);
        _leases.Remove(workloadId);
        _observed.Remove(workloadId);
        await store.DeletePlacementAsync(workloadId, cancellationToken);
        await events.PublishAsync(new PoolEvent(eventType, workloadId, null, null, reason, time.GetUtcNow()));
    }

    /// <summary>
    /// Hands every bound workload to the backend and applies its report: stopped victims and finished
    /// or failed workloads are released; starts, restarts and drift become events. A backend failure is
    /// logged and leaves the pool as it was. Does nothing for <c>Scheduler:Backend = none</c>.
    /// </summary>
    public async Task<ReconcileReport?> SyncBackendAsync(CancellationToken cancellationToken)
    {
        if (backend is NoBackend)
        {
            return null;
        }
        List<DesiredWorkload> desired;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            // The registered Inference service runs by itself: no backend starts or stops it.
            desired = _state.Running.Where(w => w.Request.Id != InferenceReplicas.ServiceReplicaId).Select(w => new DesiredWorkload(
                w, w.DeviceIds.Select(_state.Inventory.Device).ToList(), _borrowing.GetValueOrDefault(w.Request.Id), ModelOf(w.Request.Id))).ToList();
        }
        finally
        {
            _lock.Release();
        }
        ReconcileReport report;
        try
        {
            report = await backend.ReconcileAsync(desired, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogBackendFailed(logger, backend.Name, e);
            return null;
        }
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await ApplyLockedAsync(report, cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
        return report;
    }

    private async Task ApplyLockedAsync(ReconcileReport report, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var id in report.Stopped.Where(id => _state.Find(id) is { Terminating: true }))
        {
            await ReleaseLockedAsync(id, "released", $"stopped by the {backend.Name} backend", cancellationToken);
        }
        foreach (var (notes, state) in new[] { (report.Completed, "completed"), (report.Failed, "failed") })
        {
            foreach (var n in notes.Where(n => _state.Find(n.WorkloadId) is not null))
            {
                if (state == "failed")
                {
                    LogWorkloadFailed(logger, n.WorkloadId, n.Note);
                }
                await ReleaseLockedAsync(n.WorkloadId, state, n.Note, cancellationToken);
                _finished[n.WorkloadId] = new WorkloadStatus(n.WorkloadId, state, [], n.Note);
            }
        }
        foreach (var (notes, type) in new[] { (report.Started, "started"), (report.Restarted, "restarted"), (report.Drift, "drift") })
        {
            foreach (var n in notes)
            {
                await events.PublishAsync(new PoolEvent(type, n.WorkloadId, null, _state.Find(n.WorkloadId)?.DeviceIds, n.Note, now));
            }
        }
        foreach (var n in report.Drift)
        {
            LogDrift(logger, backend.Name, n.WorkloadId, n.Note);
        }
        foreach (var error in report.Errors)
        {
            LogBackendError(logger, backend.Name, error);
        }
        _observed = report.Observed.Where(o => _state.Find(o.Key) is not null).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// One pass of the background loop: drain worker nodes that missed heartbeats and requeue their
    /// work, run the scheduling cycle, and publish the consumer admission share.
    /// </summary>
    public async Task CycleAsync(CancellationToken cancellationToken)
    {
        await SyncBackendAsync(cancellationToken); // first collect what stopped, so its memory is free for this cycle
        await ObserveServingAsync(cancellationToken);
        await ScheduleLockedAsync(cancellationToken);
        await SyncBackendAsync(cancellationToken); // then start the new placements and stop the new victims
        await PublishReplicasAsync(cancellationToken);
    }

    private async Task ScheduleLockedAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            await ExpireLeasesLockedAsync(now, cancellationToken);
            foreach (var nodeId in _heartbeats!.Sweep())
            {
                var evicted = _state.Drain(nodeId);
                foreach (var w in evicted)
                {
                    _borrowing.Remove(w.Request.Id);
                    _pending.Add(new PendingWorkload(w.Request, now));
                }
                await store.DrainAsync(nodeId, evicted.Select(w => w.Request.Id).ToList(), now, cancellationToken);
                LogDrained(logger, nodeId, evicted.Count);
                CheckOvercommitLocked();
                await events.PublishAsync(new PoolEvent("node-drained", null, nodeId, null, $"missed {_options.MissedHeartbeats} heartbeats", now));
                foreach (var w in evicted)
                {
                    await events.PublishAsync(new PoolEvent("requeued", w.Request.Id, nodeId, null, "node drained", now));
                }
            }
            await ReleasePreemptedServiceLockedAsync(cancellationToken);
            await ScaleReplicasLockedAsync(now);
            await RunCycleLockedAsync(cancellationToken);
            _share = ComputeShare(now);
            await events.PublishAdmissionAsync(_share, TimeSpan.FromSeconds(_options.AdmissionTtlSeconds));
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task RunCycleLockedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (pending, decision) in SchedulingCycle.Run(_policy!, _state, _pending.ToList(), now))
        {
            var id = pending.Request.Id;
            switch (decision)
            {
                case SchedulingDecision.Place place:
                    _pending.Remove(pending);
                    _pendingReason.Remove(id);
                    _borrowing[id] = place.Borrowing;
                    var running = _state.Find(id)!;
                    await store.InsertPlacementAsync(running, Guid.Parse(running.Request.TenantId), place.Borrowing, _leases.LengthOf(id), cancellationToken);
                    await events.PublishAsync(new PoolEvent("placed", id, null, place.DeviceIds, null, now));
                    break;
                case SchedulingDecision.Preempt preempt:
                    _pendingReason[id] = preempt.Reason;
                    foreach (var victim in preempt.VictimIds)
                    {
                        await events.PublishAsync(new PoolEvent("preempt", victim, null, _state.Find(victim)?.DeviceIds, $"{preempt.Reason} (for {id})", now));
                    }
                    break;
                case SchedulingDecision.Wait wait:
                    _pendingReason[id] = wait.Reason;
                    break;
                case SchedulingDecision.Reject reject:
                    _pending.Remove(pending);
                    _pendingReason[id] = reject.Reason;
                    break;
            }
        }
    }

    private PublishedShare ComputeShare(DateTimeOffset now)
    {
        var consumer = _options.ConsumerTenantId.ToString("D");
        // Enterprise demand: what runs plus what waits, per tenant — held back before it is placed.
        var forecast = _state.Running.Select(w => w.Request).Concat(_pending.Select(p => p.Request))
            .Where(r => r.Priority > PriorityClass.Consumer && r.TenantId != consumer)
            .GroupBy(r => r.TenantId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(r => r.TotalBytes), StringComparer.Ordinal);
        var consumerReplicas = _state.Running.Count(w => w.Request.TenantId == consumer && w.Request.Kind == WorkloadKind.InferenceReplica && !w.Terminating);
        var wantedReplicas = consumerReplicas + _pending.Count(p => p.Request.TenantId == consumer && p.Request.Kind == WorkloadKind.InferenceReplica);
        // The Inference metrics: enterprise-class load the running replicas cannot absorb is held back now, and
        // consumer-class sequences queued or running count as consumer demand where the pool runs consumer replicas.
        var plan = serving.Last?.Plan;
        var consumerDemand = wantedReplicas * (double)_options.ConsumerReplicaTokens;
        if (wantedReplicas > 0)
        {
            consumerDemand = Math.Max(consumerDemand, plan?.ConsumerDemandTokens ?? 0);
        }
        var share = ConsumerAdmission.Compute(_state, Quotas, consumer, forecast, _options.ConsumerReplicaBytes, _options.ConsumerReplicaTokens,
            consumerReplicas * _options.ConsumerReplicaTokens, consumerDemand, plan?.EnterpriseReserveBytes ?? 0);
        // With no consumer replica asked for yet, the fraction is what the budget could serve: 1 if it holds one replica.
        var fraction = wantedReplicas == 0 ? (share.ConsumerReplicas > 0 ? 1.0 : 0.0) : share.Fraction;
        return new PublishedShare(Math.Round(fraction, 4), share.AdmissibleTokens, now, share.ConsumerReplicas, share.ReservedForEnterpriseBytes);
    }

    /// <summary>A consistent copy of the pool for the API.</summary>
    public async Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return PoolSnapshot.Of(_state, _pending, _pendingReason, _borrowing, _workerNodes, _configNodes, _heartbeats!, _share, Quotas, backend.Name, _observed,
                serving.Last, _leases) with
            {
                InferenceReplicas = ReplicaViewsLocked(),
                QuotaOvercommitted = _overcommit.Bytes > 0,
                QuotaOvercommit = _overcommit,
            };
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The state of one workload: running, pending (with why), or null when unknown. Reading it renews its lease.</summary>
    public async Task<WorkloadStatus?> StatusAsync(string workloadId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            _leases.Renew(workloadId);
            if (_state.Find(workloadId) is { } w)
            {
                return new WorkloadStatus(workloadId, w.Terminating ? "terminating" : "running", w.DeviceIds, null);
            }
            if (_pending.Any(p => p.Request.Id == workloadId))
            {
                return new WorkloadStatus(workloadId, "pending", [], _pendingReason.GetValueOrDefault(workloadId));
            }
            if (_finished.TryGetValue(workloadId, out var finished))
            {
                return finished;
            }
            return _pendingReason.TryGetValue(workloadId, out var why) ? new WorkloadStatus(workloadId, "rejected", [], why) : null;
        }
        finally
        {
            _lock.Release();
        }
    }

    // The guarantees were accepted against an unbounded pool (workers join after start); whenever the schedulable
    // capacity changes, say whether they still fit, and warn once per change of the shortfall.
    private void CheckOvercommitLocked()
    {
        var schedulable = _state.SchedulableCapacityBytes;
        var next = new QuotaOvercommit(Quotas.GuaranteedTotalBytes, schedulable, Quotas.OvercommitBytes(schedulable));
        if (next.Bytes > 0 && next.Bytes != _overcommit.Bytes)
        {
            LogOvercommitted(logger, next.GuaranteedBytes / (double)(1L << 30), next.SchedulableBytes / (double)(1L << 30), next.Bytes / (double)(1L << 30));
        }
        else if (next.Bytes == 0 && _overcommit.Bytes > 0)
        {
            LogOvercommitCleared(logger, next.GuaranteedBytes / (double)(1L << 30), next.SchedulableBytes / (double)(1L << 30));
        }
        _overcommit = next;
    }

    private void RenewOrGrant(string workloadId, TimeSpan? lease)
    {
        if (lease is { } length)
        {
            _leases.Grant(workloadId, length);
        }
        else
        {
            _leases.Renew(workloadId);
        }
    }

    private async Task ExpireLeasesLockedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (id, length) in _leases.TakeExpired())
        {
            var reason = $"lease of {length.TotalSeconds:0.###} s not renewed";
            if (_state.Find(id) is not null)
            {
                await ReleaseLockedAsync(id, "lease-expired", reason, cancellationToken);
            }
            else if (_pending.RemoveAll(p => p.Request.Id == id) > 0)
            {
                _pendingReason.Remove(id);
                await events.PublishAsync(new PoolEvent("lease-expired", id, null, null, reason, now));
            }
            else
            {
                continue;
            }
            _finished[id] = new WorkloadStatus(id, "expired", [], reason);
            LogLeaseExpired(logger, id, length.TotalSeconds);
        }
    }

    private static long Gib(double gib) => (long)(gib * (1L << 30));

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool ready: local node {NodeId} with {LocalDevices} device(s); {Devices} device(s) and {Placements} placement(s) in all")]
    private static partial void LogStarted(ILogger logger, string nodeId, int localDevices, int devices, int placements);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Guaranteed quotas add up to {GuaranteedGib:0.#} GiB but the schedulable pool has {SchedulableGib:0.#} GiB: overcommitted by {OvercommittedGib:0.#} GiB, so not every guarantee can be honoured")]
    private static partial void LogOvercommitted(ILogger logger, double guaranteedGib, double schedulableGib, double overcommittedGib);

    [LoggerMessage(Level = LogLevel.Information, Message = "Guaranteed quotas ({GuaranteedGib:0.#} GiB) fit the schedulable pool ({SchedulableGib:0.#} GiB) again")]
    private static partial void LogOvercommitCleared(ILogger logger, double guaranteedGib, double schedulableGib);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} missed its heartbeats: drained, {Count} workload(s) requeued")]
    private static partial void LogDrained(ILogger logger, string nodeId, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Backend} backend failed to reconcile; trying again next cycle")]
    private static partial void LogBackendFailed(ILogger logger, string backend, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Backend} backend: {Error}")]
    private static partial void LogBackendError(ILogger logger, string backend, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drift on the {Backend} backend for {WorkloadId}: {Note}")]
    private static partial void LogDrift(ILogger logger, string backend, string workloadId, string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId} failed and was released: {Reason}")]
    private static partial void LogWorkloadFailed(ILogger logger, string workloadId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease of {WorkloadId} ({LeaseSeconds} s) ran out without renewal: released")]
    private static partial void LogLeaseExpired(ILogger logger, string workloadId, double leaseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored placement {Placement} no longer fits the inventory; dropped")]
    private static partial void LogDroppedPlacement(ILogger logger, string placement);
}

/// <summary>One workload's state.</summary>
public sealed record WorkloadStatus(string WorkloadId, string State, IReadOnlyList<string> DeviceIds, string? Reason);
