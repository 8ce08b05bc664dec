using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// Requests of one chat session go to the same replica (so its KV prefix is reused): the session id
/// hashes onto the available destinations. Requests without a session go to the least busy one.
/// </summary>
public sealed class SessionAffinityPolicy : ILoadBalancingPolicy
{
    public const string Name = "SessionAffinity";
    public const string SessionItem = "gateway.session_id";

    string ILoadBalancingPolicy.Name => Name;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count <= 1)
        {
            return availableDestinations.Count == 0 ? null : availableDestinations[0];
        }
        if (context.Items[SessionItem] is string session)
        {
            var ordered = availableDestinations.OrderBy(d => d.DestinationId, StringComparer.Ordinal).ToList();
            return ordered[(int)(StableHash(session) % (uint)ordered.Count)];
        }
        return availableDestinations.MinBy(d => d.ConcurrentRequestCount);
    }

    /// <summary>FNV-1a: the same on every replica and run (string.GetHashCode is randomised per process).</summary>
    private static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }
}
