using Platform.Contracts;
using Platform.Services.Gateway.Replicas;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// The public routes and the service each reaches (<c>Services:&lt;name&gt;</c>, one URL or several
/// separated by ';'). A service without a configured URL gets no routes (its paths answer 404). The inference
/// cluster's destinations come from the Scheduler's published replicas when there are any (see
/// <see cref="InferenceReplicaSource"/>). Destination ids are the URLs, so they are stable across rebuilds.
/// The portal (<c>Services:portal</c>) gets every other path, last: a public route that skips key
/// authentication, limits and metering (the portal signs people in itself) and keeps the browser's Host,
/// so the portal's redirects and cookies stay on the gateway's origin; YARP proxies Blazor's WebSocket.
/// </summary>
public static class ProxyRoutes
{
    public const string ScopeKey = "scope";
    public const string InspectKey = "inspect";
    public const string PublicKey = "public";

    /// <summary>
    /// Everything except <c>/v1</c> and <c>/api</c>, which stay the gateway's and the services' (an unknown
    /// one there is a 404, never a portal page).
    /// </summary>
    public const string PortalPath = "/{**path:regex(^(?!(v1|api)(/|$)))}";

    private sealed record Route(string Id, string Path, string Service, string Scope, bool Inspect, bool Public = false);

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
        // The catch-all's constraint refuses an empty path, so the home page is a route of its own.
        new("portal-home", "/", "portal", "", false, Public: true),
        new("portal", PortalPath, "portal", "", false, Public: true),
    ];

    /// <summary>True for a route open without an API key (the portal's pages, assets and Blazor circuit).</summary>
    public static bool IsPublic(RouteConfig route) => route.Metadata?.GetValueOrDefault(PublicKey) == "true";

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
                Order = r.Public ? int.MaxValue : null,
                Metadata = new Dictionary<string, string> { [ScopeKey] = r.Scope, [InspectKey] = r.Inspect ? "true" : "false", [PublicKey] = r.Public ? "true" : "false" },
                Transforms = r.Public ? [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "true" }] : null,
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
