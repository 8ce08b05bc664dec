using Platform.Scheduling.Admission;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

/// <summary>
/// Discrete-event simulation of the pool replaying a <see cref="SimulationTrace"/> under a policy.
/// Placement, preemption, quotas, autoscaling and the consumer admission share are the library's
/// production code; the simulator only models time: request service (prefill + decode on replicas
/// with a KV-token budget), replica warm-up, fine-tune progress, checkpoints and restarts.
/// Deterministic: no wall clock, no randomness.
/// </summary>
public sealed class Simulator
{
    private static readonly DateTimeOffset s_epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SimulationTrace _trace;
    private readonly IPoolPolicy _policy;
    private readonly QuotaTable _quotas;
    private readonly SimulationOptions _options;
    private readonly PoolState _state;
    private readonly Dictionary<string, SimService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimReplica> _replicas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimFineTune> _jobs = new(StringComparer.Ordinal);
    private readonly List<PendingWorkload> _pending = [];
    private readonly PriorityQueue<Action, (double, long)> _events = new();
    private readonly List<double> _enterpriseLatencies = [];
    private readonly Dictionary<string, (int Met, int Total)> _slo = new(StringComparer.Ordinal);
    private readonly List<double> _jct = [];
    private readonly Dictionary<string, PriorityClass> _tenantClass;
    private long _sequence;
    private double _now;
    private double _utilSum;
    private double _busySum;
    private int _samples;
    private int _consumerOffered;
    private int _consumerAdmitted;
    private int _jobsDone;
    private int _jobsRejected;
    private int _preemptedJobs;
    private int _preemptedReplicas;
    private readonly SortedDictionary<string, int> _preemptedByTenant = new(StringComparer.Ordinal);
    private readonly TimelineRecorder _timeline;

    /// <summary>Prepares a run; throws <see cref="SchedulingInputException"/> when the trace and pool conflict.</summary>
    public Simulator(SimulationTrace trace, IPoolPolicy policy, QuotaTable quotas, SimulationOptions options)
    {
        (_trace, _policy, _quotas, _options) = (trace, policy, quotas, options);
        _state = new PoolState(options.Pool);
        _timeline = new TimelineRecorder(options.TimelineSeconds);
        _tenantClass = trace.Tenants.ToDictionary(t => t.Id, t => t.Priority, StringComparer.Ordinal);
        foreach (var spec in trace.Services)
        {
            var model = ModelSpec.Find(spec.Model) ?? throw new SchedulingInputException($"unknown model '{spec.Model}'");
            var bytes = MemoryEstimator.InferenceReplica(model, spec.WeightsDtype, spec.KvTokensPerReplica).TotalBytes;
            _services[spec.TenantId] = new SimService(spec, _tenantClass[spec.TenantId], bytes, options);
        }
    }

    private DateTimeOffset Clock => s_epoch + TimeSpan.FromSeconds(_now);

    /// <summary>Runs to completion (or the drain limit) and returns the metrics.</summary>
    public SimulationResult Run()
    {
        var requests = _trace.Requests;
        var jobs = _trace.FineTunes;
        var horizon = Math.Max(requests.Count > 0 ? requests[^1].TimeSeconds : 0, jobs.Count > 0 ? jobs[^1].TimeSeconds : 0);
        var end = horizon + _options.DrainLimitSeconds;
        WarmStart();
        Schedule(0, () => Tick(horizon));
        int ri = 0, ji = 0;
        while (true)
        {
            var nextRequest = ri < requests.Count ? requests[ri].TimeSeconds : double.MaxValue;
            var nextJob = ji < jobs.Count ? jobs[ji].TimeSeconds : double.MaxValue;
            var nextEvent = _events.TryPeek(out _, out var key) ? key.Item1 : double.MaxValue;
            var next = Math.Min(nextEvent, Math.Min(nextRequest, nextJob));
            if (next == double.MaxValue || next > end)
            {
                break;
            }
            _now = next;
            if (nextJob == next)
            {
                ArriveJob(ji, jobs[ji]);
                ji++;
            }
            else if (nextRequest == next)
            {
                Arrive(requests[ri++]);
            }
            else
            {
                _events.Dequeue()();
            }
        }
        return Result(horizon);
    }

    /// <summary>
    /// The run starts from a platform that is already serving: each service's minimum replicas are
    /// placed and warm at t = 0, as they would be in production. Without this every run began with no
    /// replica at all and the first warm-up's worth of requests missed their SLO.
    /// </summary>
    private void WarmStart()
    {
        foreach (var s in _services.Values)
        {
            ScaleTo(s, s.Spec.MinReplicas);
        }
        foreach (var (pending, decision) in SchedulingCycle.Run(_policy, _state, _pending, Clock))
        {
            if (decision is SchedulingDecision.Place && _replicas.TryGetValue(pending.Request.Id, out var replica))
            {
                _pending.Remove(pending);
                replica.Phase = ReplicaPhase.Ready;
            }
        }
    }

    private void Schedule(double at, Action action) => _events.Enqueue(action, (at, _sequence++));

    private void Tick(double horizon)
    {
        if (_now < horizon)
        {
            SampleUtilization();
        }
        Autoscale();
        var decisions = SchedulingCycle.Run(_policy, _state, _pending, Clock);
        foreach (var (pending, decision) in decisions)
        {
            Apply(pending, decision);
        }
        var done = _now >= horizon && _jobsDone + _jobsRejected == _trace.FineTunes.Count
            && _services.Values.All(s => s.Queue.Count == 0 && s.InFlightTokens == 0);
        if (!done)
        {
            Schedule(_now + _options.TickSeconds, () => Tick(horizon));
        }
    }

    private void SampleUtilization()
    {
        var capacity = (double)_state.Inventory.CapacityBytes;
        var busy = 0.0;
        foreach (var w in _state.Running)
        {
            if (_replicas.TryGetValue(w.Request.Id, out var replica))
            {
                var service = _services[w.Request.TenantId];
                busy += replica.Phase == ReplicaPhase.Starting ? 0 : w.ChargedBytes * (double)replica.UsedTokens / service.Spec.KvTokensPerReplica;
            }
            else
            {
                busy += w.ChargedBytes;
            }
        }
        _timeline.SampleAllocation(_now, _state.Running.GroupBy(w => w.Request.TenantId)
            .Select(g => (g.Key, g.Sum(w => (double)w.ChargedBytes) / capacity)));
        _utilSum += _state.UsedBytesTotal / capacity;
        _busySum += busy / capacity;
        _samples++;
    }

    private void Autoscale()
    {
        var steps = (int)Math.Ceiling(_options.ForecastHorizonSeconds / _options.TickSeconds);
        var desired = new Dictionary<SimService, int>();
        foreach (var s in _services.Values)
        {
            s.Forecaster.Observe(s.OfferedTokenSeconds / _options.TickSeconds);
            s.OfferedTokenSeconds = 0;
            while (s.RecentLatency.Count > 0 && s.RecentLatency.Peek().At < _now - 30)
            {
                s.RecentLatency.Dequeue();
            }
            var ratios = s.RecentLatency.Select(x => x.Ratio).Order().ToList();
            var p95 = ratios.Count == 0 ? 0 : ratios[(int)Math.Min(ratios.Count - 1, Math.Floor(ratios.Count * 0.95))];
            var signals = new ReplicaSignals(s.LiveReplicas, s.Forecaster.Forecast(steps) + s.QueuedTokens,
                s.Spec.KvTokensPerReplica, s.Queue.Count, p95, 1.0,
                s.Replicas.Count(r => r.Phase is ReplicaPhase.Pending or ReplicaPhase.Starting));
            desired[s] = s.Autoscaler.Recommend(signals, Clock);
            s.AdmissibleTokens = s.ReadyTokens;
        }
        if (_policy is PlatformPolicy)
        {
            ApplyAdmissionShare(desired, steps);
        }
        foreach (var (s, want) in desired)
        {
            ScaleTo(s, want);
        }
    }

    private void ApplyAdmissionShare(Dictionary<SimService, int> desired, int steps)
    {
        var forecast = _services.Values.Where(s => s.IsEnterprise).ToDictionary(
            s => s.Spec.TenantId,
            s => Math.Max(desired[s], s.LiveReplicas) * s.ReplicaBytes,
            StringComparer.Ordinal);
        foreach (var s in _services.Values.Where(s => s.Priority == PriorityClass.Consumer))
        {
            var share = ConsumerAdmission.Compute(_state, _quotas, s.Spec.TenantId, forecast, s.ReplicaBytes,
                s.Spec.KvTokensPerReplica, s.ReadyTokens, s.Forecaster.Forecast(steps));
            s.AdmissibleTokens = share.AdmissibleTokens;
            desired[s] = Math.Min(desired[s], Math.Max(s.Spec.MinReplicas, share.ConsumerReplicas));
        }
    }

    private void ScaleTo(SimService s, int want)
    {
        var live = s.Replicas.Where(r => r.Phase is ReplicaPhase.Pending or ReplicaPhase.Starting or ReplicaPhase.Ready).ToList();
        for (var i = live.Count; i < want; i++)
        {
            var id = $"{s.Spec.TenantId}/replica-{s.NextReplica++}";
            var request = new WorkloadRequest(id, s.Spec.TenantId, s.Priority, WorkloadKind.InferenceReplica, s.ReplicaBytes)
            {
                RestartSeconds = _options.ReplicaWarmupSeconds,
            };
            var replica = new SimReplica(id, request);
            s.Replicas.Add(replica);
            _replicas[id] = replica;
            _pending.Add(new PendingWorkload(request, Clock));
        }
        // Scale in: cancel pending replicas first, then starting ones, then drain the least busy.
        foreach (var r in live.OrderBy(r => r.Phase).ThenBy(r => r.Active.Count).Take(Math.Max(0, live.Count - want)))
        {
            switch (r.Phase)
            {
                case ReplicaPhase.Pending:
                    _pending.RemoveAll(p => p.Request.Id == r.Id);
                    Remove(s, r);
                    break;
                case ReplicaPhase.Starting:
                    _state.Release(r.Id);
                    Remove(s, r);
                    break;
                default:
                    r.Phase = ReplicaPhase.Draining;
                    if (r.Active.Count == 0)
                    {
                        _state.Release(r.Id);
                        Remove(s, r);
                    }
                    break;
            }
        }
    }

    private void Remove(SimService s, SimReplica r)
    {
        r.Phase = ReplicaPhase.Gone;
        r.Epoch++;
        s.Replicas.Remove(r);
        _replicas.Remove(r.Id);
    }

    private void Apply(PendingWorkload pending, SchedulingDecision decision)
    {
        var id = pending.Request.Id;
        switch (decision)
        {
            case SchedulingDecision.Place:
                _pending.Remove(pending);
                if (_replicas.TryGetValue(id, out var replica))
                {
                    replica.Phase = ReplicaPhase.Starting;
                    var epoch = replica.Epoch;
                    Schedule(_now + _options.ReplicaWarmupSeconds, () => ReplicaReady(replica, epoch));
                }
                else
                {
                    StartJob(_jobs[id]);
                }
                break;
            case SchedulingDecision.Preempt preempt:
                foreach (var victim in preempt.VictimIds)
                {
                    Evict(victim);
                }
                break;
            case SchedulingDecision.Reject:
                _pending.Remove(pending);
                if (_replicas.TryGetValue(id, out var rejected))
                {
                    Remove(_services[rejected.Request.TenantId], rejected);
                }
                else
                {
                    _jobs[id].Rejected = true;
                    _jobsRejected++;
                }
                break;
        }
    }

    private void Evict(string workloadId)
    {
        var tenant = _state.Find(workloadId)!.Request.TenantId;
        _preemptedByTenant[tenant] = _preemptedByTenant.GetValueOrDefault(tenant) + 1;
        if (_replicas.TryGetValue(workloadId, out var replica))
        {
            _preemptedReplicas++;
            var service = _services[replica.Request.TenantId];
            if (replica.Phase != ReplicaPhase.Ready || replica.Active.Count == 0 || _options.ReplicaGraceSeconds <= 0)
            {
                StopReplica(service, replica);
                return;
            }
            // Like a pod's termination grace period: the router stops sending it work and in-flight
            // requests may finish; whatever is left when the grace period ends is re-queued.
            replica.Phase = ReplicaPhase.Draining;
            var epoch = replica.Epoch;
            Schedule(_now + _options.ReplicaGraceSeconds, () =>
            {
                if (replica.Epoch == epoch && replica.Phase == ReplicaPhase.Draining)
                {
                    StopReplica(service, replica);
                    Dispatch(service);
                }
            });
            return;
        }
        var job = _jobs[workloadId];
        _preemptedJobs++;
        job.RemainingSeconds -= Math.Max(0, _now - job.RunStart - job.Overhead);
        job.RemainingSeconds = Math.Max(0, job.RemainingSeconds);
        job.Epoch++;
        job.Resumed = true;
        // The job checkpoints before it stops and holds its devices meanwhile.
        Schedule(_now + job.Trace.CheckpointSeconds, () =>
        {
            _state.Release(workloadId);
            _pending.Add(new PendingWorkload(job.Request, s_epoch + TimeSpan.FromSeconds(job.Trace.TimeSeconds)));
        });
    }

    private void StopReplica(SimService service, SimReplica replica)
    {
        foreach (var request in replica.Active.AsEnumerable().Reverse())
        {
            request.Epoch++;
            request.Replica = null;
            service.Queue.AddFirst(request);
        }
        replica.Active.Clear();
        replica.UsedTokens = 0;
        _state.Release(replica.Id);
        Remove(service, replica);
    }

    private void ReplicaReady(SimReplica replica, int epoch)
    {
        if (replica.Epoch != epoch || replica.Phase != ReplicaPhase.Starting)
        {
            return;
        }
        replica.Phase = ReplicaPhase.Ready;
        Dispatch(_services[replica.Request.TenantId]);
    }

    private void Arrive(TraceRequest trace)
    {
        var service = _services[trace.TenantId];
        var request = service.NewRequest(trace);
        service.OfferedTokenSeconds += request.Tokens * request.ServiceSeconds;
        if (!service.IsEnterprise)
        {
            _consumerOffered++;
            var admitted = service.InFlightTokens + service.QueuedTokens + request.Tokens <= service.AdmissibleTokens;
            _timeline.Consumer(_now, admitted);
            if (!admitted)
            {
                return;
            }
            _consumerAdmitted++;
        }
        service.Queue.AddLast(request);
        Dispatch(service);
    }

    private void Dispatch(SimService service)
    {
        while (service.Queue.First is { } head)
        {
            var request = head.Value;
            if (request.Tokens > service.Spec.KvTokensPerReplica)
            {
                service.Queue.RemoveFirst();
                Finish(service, request, double.PositiveInfinity);
                continue;
            }
            var replica = service.Replicas.Where(r => r.Phase == ReplicaPhase.Ready)
                .MaxBy(r => service.Spec.KvTokensPerReplica - r.UsedTokens);
            if (replica is null || service.Spec.KvTokensPerReplica - replica.UsedTokens < request.Tokens)
            {
                return;
            }
            service.Queue.RemoveFirst();
            replica.UsedTokens += request.Tokens;
            replica.Active.Add(request);
            request.Replica = replica;
            var epoch = request.Epoch;
            Schedule(_now + request.ServiceSeconds, () => Complete(service, request, epoch));
        }
    }

    private void Complete(SimService service, SimRequest request, int epoch)
    {
        if (request.Epoch != epoch || request.Replica is not { } replica)
        {
            return;
        }
        replica.UsedTokens -= request.Tokens;
        replica.Active.Remove(request);
        request.Replica = null;
        Finish(service, request, _now - request.Trace.TimeSeconds);
        if (replica.Phase == ReplicaPhase.Draining && replica.Active.Count == 0)
        {
            _state.Release(replica.Id);
            Remove(service, replica);
        }
        Dispatch(service);
    }

    private void Finish(SimService service, SimRequest request, double latency)
    {
        service.RecentLatency.Enqueue((_now, latency / request.SloSeconds));
        if (!service.IsEnterprise)
        {
            return;
        }
        _enterpriseLatencies.Add(latency);
        var within = latency <= request.SloSeconds;
        _timeline.Enterprise(request.Trace.TimeSeconds, within);
        var (met, total) = _slo.GetValueOrDefault(service.Spec.TenantId);
        _slo[service.Spec.TenantId] = (met + (within ? 1 : 0), total + 1);
    }

    private void ArriveJob(int index, TraceFineTune trace)
    {
        var request = new WorkloadRequest($"finetune-{index}", trace.TenantId, _tenantClass[trace.TenantId], trace.Kind,
            (long)(trace.GibPerGpu * (1L << 30)), trace.Gpus)
        {
            CheckpointSeconds = trace.CheckpointSeconds,
            RestartSeconds = _options.FineTuneRestartSeconds,
        };
        _jobs[request.Id] = new SimFineTune(index, trace, request);
        _pending.Add(new PendingWorkload(request, Clock));
    }

    private void StartJob(SimFineTune job)
    {
        job.RunStart = _now;
        job.Overhead = job.Resumed ? _options.FineTuneRestartSeconds : 0;
        var epoch = job.Epoch;
        Schedule(_now + job.Overhead + job.RemainingSeconds, () =>
        {
            if (job.Epoch != epoch)
            {
                return;
            }
            _state.Release(job.Request.Id);
            _jobsDone++;
            job.Done = true;
            _jct.Add(_now - job.Trace.TimeSeconds);
        });
    }

    private SimulationResult Result(double horizon)
    {
        // Enterprise requests still queued or running at the end missed their SLO.
        foreach (var s in _services.Values.Where(s => s.IsEnterprise))
        {
            foreach (var r in s.Queue.Concat(s.Replicas.SelectMany(r => r.Active)).ToList())
            {
                Finish(s, r, double.PositiveInfinity);
            }
        }
        // Fine-tunes still unfinished at the drain limit count with the time they have waited so far.
        var unfinished = _jobs.Values.Where(j => !j.Done && !j.Rejected).ToList();
        _jct.AddRange(unfinished.Select(j => _now - j.Trace.TimeSeconds));
        var met = _slo.Values.Sum(v => v.Met);
        var total = _slo.Values.Sum(v => v.Total);
        return new SimulationResult
        {
            Policy = _policy.Name,
            PoolGpus = _options.Pool.Devices.Count,
            HorizonS = Math.Round(horizon, 1),
            SimulatedS = Math.Round(_now, 1),
            EnterpriseRequests = total,
            EnterpriseSloAttainment = Round(total == 0 ? 1 : met / (double)total),
            EnterpriseSloAttainmentByTenant = _slo.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .ToDictionary(kv => kv.Key, kv => Round(kv.Value.Met / (double)kv.Value.Total), StringComparer.Ordinal),
            EnterpriseLatencyP99S = Round(Percentile(_enterpriseLatencies, 0.99)),
            ConsumerRequests = _consumerOffered,
            ConsumerAdmittedFraction = Round(_consumerOffered == 0 ? 1 : _consumerAdmitted / (double)_consumerOffered),
            GpuUtilization = Round(_samples == 0 ? 0 : _utilSum / _samples),
            GpuBusyFraction = Round(_samples == 0 ? 0 : _busySum / _samples),
            Finetunes = _trace.FineTunes.Count,
            FinetunesCompleted = _jobsDone,
            FinetunesRejected = _jobsRejected,
            FinetuneJctP50S = Math.Round(Percentile(_jct, 0.5), 1),
            FinetuneJctP90S = Math.Round(Percentile(_jct, 0.9), 1),
            FinetuneJctMeanS = Math.Round(_jct.Count == 0 ? 0 : _jct.Average(), 1),
            Preemptions = _preemptedJobs + _preemptedReplicas,
            PreemptedFinetunes = _preemptedJobs,
            PreemptedReplicas = _preemptedReplicas,
            PreemptionsByTenant = _preemptedByTenant,
            Timeline = _timeline.Enabled ? _timeline.Samples() : null,
        };
    }

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 4) : value;

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }
}
