using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Backends;
using StackExchange.Redis;

namespace Platform.Services.Scheduler.Serving;

/// <summary>
/// The inference replicas the pool runs: the set the scheduler scales (<see cref="ReplicaSetOptions.Model"/>, sized from its
/// checkpoint and KV budget, planned by the pure <see cref="ReplicaSetPlanner"/>), and the Inference service of
/// <c>Services:inference</c> registered as a replica. Checks their readiness and publishes the live set for the gateway.
/// </summary>
public sealed partial class InferenceReplicas(
    IOptions<ReplicaSetOptions> options, IOptions<ServingOptions> serving, IConfiguration configuration, IHttpClientFactory clients,
    IConnectionMultiplexer redis, ILogger<InferenceReplicas> logger)
{
    /// <summary>Redis hash of the live replicas: field = base URL, value = JSON <see cref="PublishedReplica"/>.</summary>
    public const string RedisKey = "pool:inference:replicas";

    /// <summary>Workload id of the registered Inference service.</summary>
    public const string ServiceReplicaId = "serving/inference/service";

    /// <summary>Name of the HTTP client used for readiness checks.</summary>
    public const string ClientName = "inference-probe";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly ReplicaSetOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, bool> _ready = new(StringComparer.Ordinal);

    /// <summary>The scaled set's planner; null when no model is configured or no backend can start replicas.</summary>
    public ReplicaSetPlanner? Planner { get; private set; }

    /// <summary>What the scaled replicas serve; null when nothing is scaled.</summary>
    public ServedModel? Model { get; private set; }

    /// <summary>The base URL of the Inference service, when it is configured.</summary>
    public string? ServiceUrl => configuration["Services:inference"] is { Length: > 0 } url ? url.TrimEnd('/') : null;

    /// <summary>
    /// Sets up the scaled set. A configured model that is not a checkpoint folder stops the start. With
    /// <paramref name="backendActs"/> false (<c>Scheduler:Backend = none</c>) nothing would start replicas, so none are planned.
    /// </summary>
    public void Initialize(bool backendActs)
    {
        if (_options.Model.Length == 0)
        {
            return;
        }
        var modelsDir = configuration["Platform:ModelsDir"];
        var folder = modelsDir is { Length: > 0 } ? Path.GetFullPath(Path.Combine(modelsDir, _options.Model)) : null;
        if (folder is null || !CheckpointSize.IsCheckpoint(folder))
        {
            throw new InvalidOperationException(
                $"Scheduler:Replicas:Model '{_options.Model}' is not a checkpoint folder (with config.json) under Platform:ModelsDir ('{modelsDir}')");
        }
        if (!backendActs)
        {
            LogNotScaling(logger, _options.Model);
            return;
        }
        PriorityClassNames.TryParse(_options.Priority, out var priority);
        var bytes = MemoryEstimator.InferenceReplica(CheckpointSize.WeightsBytes(folder), _options.KvCacheBytes, _options.OverheadBytes).TotalBytes;
        var s = serving.Value;
        Model = new ServedModel(_options.Model, folder, _options.KvCacheBytes);
        Planner = new ReplicaSetPlanner(new ReplicaSetSpec(_options.Model, _options.TenantId.ToString("D"), priority, bytes,
            s.MinReplicas, Math.Max(s.MinReplicas, s.MaxReplicas), TimeSpan.FromSeconds(_options.ScaleInCooldownSeconds), _options.WarmupSeconds));
        LogScaling(logger, _options.Model, bytes, s.MinReplicas, s.MaxReplicas, priority.ToName());
    }

    /// <summary>
    /// The placement request of the Inference service at <see cref="ServiceUrl"/>: one replica on this host's CPU device, sized
    /// as the models it loads from <c>Platform:ModelsDir</c> (each with its KV budget); null when it is not to be registered.
    /// </summary>
    public WorkloadRequest? ServiceRequest(string cpuModel)
    {
        if (!_options.RegisterService || ServiceUrl is null)
        {
            return null;
        }
        var checkpoints = CheckpointSize.Checkpoints(configuration["Platform:ModelsDir"]);
        var kv = configuration.GetValue("Inference:KvCacheBytes", _options.KvCacheBytes);
        var bytes = MemoryEstimator.InferenceReplica(checkpoints.Sum(CheckpointSize.WeightsBytes), kv * Math.Max(1, checkpoints.Count),
            _options.OverheadBytes).TotalBytes;
        PriorityClassNames.TryParse(_options.Priority, out var priority);
        return new WorkloadRequest(ServiceReplicaId, _options.TenantId.ToString("D"), priority, WorkloadKind.InferenceReplica, bytes)
        {
            AllowedGpuModels = new HashSet<string>([cpuModel], StringComparer.Ordinal),
            RestartSeconds = _options.WarmupSeconds,
        };
    }

    /// <summary>True when the replica answered its last readiness check.</summary>
    public bool IsReady(string workloadId) => _ready.GetValueOrDefault(workloadId);

    /// <summary>Checks <c>GET /health/ready</c> of each replica in parallel; one that fails or is slow is not ready.</summary>
    public async Task ProbeAsync(IReadOnlyCollection<(string WorkloadId, string? Endpoint)> replicas, CancellationToken cancellationToken)
    {
        foreach (var id in _ready.Keys.Except(replicas.Select(r => r.WorkloadId)))
        {
            _ready.TryRemove(id, out _);
        }
        await Task.WhenAll(replicas.Select(async r => _ready[r.WorkloadId] = r.Endpoint is not null && await ProbeAsync(r.Endpoint, cancellationToken)));
    }

    private async Task<bool> ProbeAsync(string endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.ProbeTimeoutSeconds));
        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(new Uri(endpoint.TrimEnd('/') + "/health/ready"), timeout.Token);
            return response.IsSuccessStatusCode;
        }
        // Refused, reset, slow, not a URL: not ready, whatever the cause; the next cycle asks again.
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogProbeFailed(logger, endpoint, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Replaces the published replica set (one transaction: the gateway never sees half of it), with a TTL so the set of a
    /// scheduler that stopped expires instead of lingering.
    /// </summary>
    public async Task PublishAsync(IReadOnlyList<InferenceReplicaView> replicas, TimeSpan ttl)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.KeyDeleteAsync(RedisKey);
        var entries = replicas.Where(r => r.Url is not null && r.State != "terminating")
            .Select(r => new HashEntry(r.Url, JsonSerializer.Serialize(new PublishedReplica(r.Url!, r.WorkloadId, r.Model, r.Device, r.Ready, r.Source), s_json)))
            .ToArray();
        if (entries.Length > 0)
        {
            _ = transaction.HashSetAsync(RedisKey, entries);
            _ = transaction.KeyExpireAsync(RedisKey, ttl);
        }
        await transaction.ExecuteAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scaling inference replicas of {Model}: {ReplicaBytes} bytes each, {Min} to {Max} replicas, class {Priority}")]
    private static partial void LogScaling(ILogger logger, string model, long replicaBytes, int min, int max, string priority);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduler:Replicas:Model is {Model} but Scheduler:Backend is none: no replica is started or stopped")]
    private static partial void LogNotScaling(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Readiness check of {Endpoint} failed: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string endpoint, string error);
}

/// <summary>One live replica as the gateway reads it from <see cref="InferenceReplicas.RedisKey"/>.</summary>
/// <param name="Url">Base URL (OpenAI-compatible <c>/v1</c> under it).</param>
/// <param name="WorkloadId">Its placement.</param>
/// <param name="Model">The model it was started for; null for the registered service (it serves every model in its models folder).</param>
/// <param name="Device">The pool device it is placed on.</param>
/// <param name="Ready">It answered its readiness check.</param>
/// <param name="Source"><c>scheduler</c> (a replica the scheduler scales) or <c>service</c> (the Inference service of <c>Services:inference</c>).</param>
public sealed record PublishedReplica(string Url, string WorkloadId, string? Model, string? Device, bool Ready, string Source);

/// <summary>An inference replica in <c>GET /api/pool</c>.</summary>
/// <param name="WorkloadId">Its placement (or pending request).</param>
/// <param name="Source"><c>scheduler</c> or <c>service</c>.</param>
/// <param name="Model">The model it was started for; null for the registered service.</param>
/// <param name="State">pending, starting, ready or terminating.</param>
/// <param name="Url">Where it listens, once known.</param>
/// <param name="Device">The placed device; null while pending.</param>
/// <param name="Ready">It answered its last readiness check.</param>
/// <param name="Queue">Sequences waiting at the last scrape.</param>
/// <param name="Running">Sequences running at the last scrape.</param>
/// <param name="TtftP95Seconds">p95 time to first token since the scrape before.</param>
/// <param name="ScrapeError">Why the last scrape failed, when it did.</param>
public sealed record InferenceReplicaView(
    string WorkloadId, string Source, string? Model, string State, string? Url, string? Device, bool Ready,
    int? Queue, int? Running, double? TtftP95Seconds, string? ScrapeError);
