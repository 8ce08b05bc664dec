using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Proxy;
using StackExchange.Redis;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Services.Gateway.Replicas;

/// <summary>
/// Keeps the "inference" cluster's destinations in step with the replica set the Scheduler publishes in Redis:
/// read at start and every <see cref="ReplicaOptions.PollMilliseconds"/>, applied through YARP's
/// <see cref="InMemoryConfigProvider.Update(IReadOnlyList{RouteConfig}, IReadOnlyList{ClusterConfig})"/> only when the
/// ready set changed. With no ready replica published, <c>Services:inference</c> applies. Requests never wait on Redis.
/// </summary>
public sealed partial class InferenceReplicaSource(
    InMemoryConfigProvider proxyConfig,
    IConfiguration configuration,
    IConnectionMultiplexer redis,
    IOptions<ReplicaOptions> options,
    ILogger<InferenceReplicaSource> logger) : BackgroundService
{
    private readonly Lock _applyLock = new();
    private IReadOnlyList<InferenceReplica> _applied = [];
    private bool _unreachable;
    private string _lastSkipped = "";

    /// <summary>The replicas routed to now; empty while <c>Services:inference</c> applies.</summary>
    public IReadOnlyList<InferenceReplica> Current => Volatile.Read(ref _applied);

    /// <summary>Reads the hash once and applies it. When Redis cannot be read the routing in force is kept.</summary>
    public async Task RefreshAsync()
    {
        HashEntry[] entries;
        try
        {
            entries = await redis.GetDatabase().HashGetAllAsync(options.Value.RedisKey);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            if (!_unreachable)
            {
                _unreachable = true;
                LogUnreachable(logger, options.Value.RedisKey, e.Message);
            }
            return;
        }
        _unreachable = false;
        var replicas = ReplicaSet.Parse(entries, out var skipped);
        var skippedText = string.Join(", ", skipped);
        if (skipped.Count > 0 && skippedText != _lastSkipped)
        {
            LogMalformed(logger, options.Value.RedisKey, skippedText);
        }
        _lastSkipped = skippedText;
        Apply(replicas);
    }

    private void Apply(IReadOnlyList<InferenceReplica> replicas)
    {
        lock (_applyLock)
        {
            if (replicas.SequenceEqual(_applied))
            {
                return;
            }
            // Destination ids are the URLs: YARP keeps the state (in-flight counts, health) of an unchanged
            // destination, and a removed one only stops being picked; requests already on it run to their end.
            var (routes, clusters) = ProxyRoutes.Build(configuration, replicas);
            proxyConfig.Update(routes, clusters);
            Volatile.Write(ref _applied, replicas);
        }
        if (replicas.Count == 0)
        {
            LogStatic(logger, configuration["Services:inference"] ?? "(none)");
        }
        else
        {
            LogReplicas(logger, replicas.Count, string.Join(", ", replicas.Select(r => $"{r.Url} ({r.Model ?? "any model"})")));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.PollMilliseconds));
        try
        {
            do
            {
                await RefreshAsync();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Routing inference to {Count} published replicas: {Replicas}")]
    private static partial void LogReplicas(ILogger logger, int count, string replicas);

    [LoggerMessage(Level = LogLevel.Information, Message = "No ready inference replica is published; routing inference to Services:inference ({Urls})")]
    private static partial void LogStatic(ILogger logger, string urls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read {Key} from Redis ({Error}); keeping the inference routing in force")]
    private static partial void LogUnreachable(ILogger logger, string key, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping malformed entries of {Key}: {Fields}")]
    private static partial void LogMalformed(ILogger logger, string key, string fields);
}
