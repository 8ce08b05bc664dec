using Platform.Contracts;
using Platform.Services.Gateway.Replicas;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// The public routes and the service each reaches (<c>Services:&lt;name&gt;</c>, one URL or several
/// separated by ';'). A service without a configured URL gets no routes (its paths answer 404). The inference
/// cluster's destinations come from the Scheduler's published replicas when there are any (see
/// <see cref="InferenceReplicaSource"/>). Destination ids are the URLs, so they are stable across rebuilds.
/// </summary>
public static class ProxyRoutes
{
    public const string ScopeKey = "scope";
    public const string InspectKey = "inspect";

    private sealed record Route(string Id, string Path, string Service, string Scope, bool Inspect);

    private static readonly Route[] Table =
    [
        new("chat", "/v1/chat/completions", "inference", Scopes.Inference, true),
        new("completions", "/v1/completions", "inference", Scopes.Inference, true),
        new("embeddings", "/v1/embeddings", "inference", Scopes.Inference, true),
        new("models", "/v1/models/{**rest}", "inference", Scopes.Inference, false),
        new("rag", "/v1/rag/{**rest}", "rag", Scopes.Rag, true),
        new("knowledge-bases", "/v1/knowledge-bases/{**rest}", "ingestion", Scopes.Ingest, false),
        new("files", "/v1/files/{**rest}", "finetune", Scopes.FineTune, false),
        new("fine-tuning", "/v1/fine_tuning/{**rest}", "finetune", Scopes.FineTune, false),
        new("pool", "/api/pool/{**rest}", "scheduler", Scopes.Admin, false),
    ];

    /// <summary>The routes and clusters; <paramref name="inferenceReplicas"/>, when not empty, replace <c>Services:inference</c>.</summary>
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(
        IConfiguration configuration, IReadOnlyList<InferenceReplica>? inferenceReplicas = null)
    {
        var clusters = new List<ClusterConfig>();
        var routes = new List<RouteConfig>();
        foreach (var service in Table.Select(r => r.Service).Distinct())
        {
            var destinations = service == "inference" && inferenceReplicas is { Count: > 0 }
                ? inferenceReplicas.ToDictionary(r => r.Url, Destination, StringComparer.Ordinal)
                : StaticUrls(configuration, service).ToDictionary(u => u, u => new DestinationConfig { Address = u }, StringComparer.Ordinal);
            if (destinations.Count == 0)
            {
                continue;
            }
            clusters.Add(new ClusterConfig
            {
                ClusterId = service,
                LoadBalancingPolicy = SessionAffinityPolicy.Name,
                Destinations = destinations,
                HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) },
            });
            routes.AddRange(Table.Where(r => r.Service == service).Select(r => new RouteConfig
            {
                RouteId = r.Id,
                ClusterId = service,
                Match = new RouteMatch { Path = r.Path },
                Metadata = new Dictionary<string, string> { [ScopeKey] = r.Scope, [InspectKey] = r.Inspect ? "true" : "false" },
            }));
        }
        return (routes, clusters);
    }

    private static IEnumerable<string> StaticUrls(IConfiguration configuration, string service) =>
        (configuration[$"Services:{service}"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => u.TrimEnd('/')).Where(u => u.Length > 0).Distinct(StringComparer.Ordinal);

    private static DestinationConfig Destination(InferenceReplica replica) => new()
    {
        Address = replica.Url,
        Metadata = replica.Model is null ? null : new Dictionary<string, string> { [SessionAffinityPolicy.ModelMetadata] = replica.Model },
    };
}
