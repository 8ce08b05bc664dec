using Platform.Contracts;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// The public routes and the service each reaches (<c>Services:&lt;name&gt;</c>, one URL or several
/// separated by ';'). A service without a configured URL gets no routes (its paths answer 404).
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

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(IConfiguration configuration)
    {
        var clusters = new List<ClusterConfig>();
        var routes = new List<RouteConfig>();
        foreach (var service in Table.Select(r => r.Service).Distinct())
        {
            var urls = (configuration[$"Services:{service}"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (urls.Length == 0)
            {
                continue;
            }
            clusters.Add(new ClusterConfig
            {
                ClusterId = service,
                LoadBalancingPolicy = SessionAffinityPolicy.Name,
                Destinations = urls.Select((u, i) => (u, i)).ToDictionary(x => $"{service}-{x.i}", x => new DestinationConfig { Address = x.u }),
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
}
