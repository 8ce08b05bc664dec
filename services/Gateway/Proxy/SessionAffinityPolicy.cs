using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// Picks an inference replica. Candidates: the destinations serving the request's model (destination metadata
/// <see cref="ModelMetadata"/> equal to it, or absent = every model), or all of them when none does. Among the
/// candidates, a chat session goes to the same replica every time (so its KV prefix is reused) by rendezvous
/// (highest-random-weight) hashing: adding or removing a replica moves only the sessions that land on, or were
/// on, that replica (~1/N). Requests without a session go to the least busy candidate. O(destinations), no allocation.
/// </summary>
public sealed class SessionAffinityPolicy : ILoadBalancingPolicy
{
    public const string Name = "SessionAffinity";
    public const string SessionItem = "gateway.session_id";
    public const string ModelItem = "gateway.model";

    /// <summary>Destination metadata key naming the one model a replica was started for.</summary>
    public const string ModelMetadata = "model";

    string ILoadBalancingPolicy.Name => Name;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count <= 1)
        {
            return availableDestinations.Count == 0 ? null : availableDestinations[0];
        }
        var model = context.Items[ModelItem] as string;
        var filter = model is { Length: > 0 } && AnyServes(availableDestinations, model) ? model : null;
        var session = context.Items[SessionItem] as string;
        var sessionHash = session is null ? 0 : StableHash(session);
        DestinationState? best = null;
        ulong bestWeight = 0;
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            var destination = availableDestinations[i];
            if (filter is not null && !Serves(destination, filter))
            {
                continue;
            }
            if (session is null)
            {
                if (best is null || destination.ConcurrentRequestCount < best.ConcurrentRequestCount)
                {
                    best = destination;
                }
                continue;
            }
            var weight = Mix(sessionHash ^ Mix(StableHash(destination.DestinationId)));
            if (best is null || weight > bestWeight
                || (weight == bestWeight && string.CompareOrdinal(destination.DestinationId, best.DestinationId) < 0))
            {
                best = destination;
                bestWeight = weight;
            }
        }
        return best;
    }

    /// <summary>
    /// A replica serves <paramref name="model"/> when it names no model, names it, or names its base
    /// (<c>base:adapter</c> is served by a replica of <c>base</c>).
    /// </summary>
    public static bool Serves(DestinationState destination, string model)
    {
        if (destination.Model?.Config.Metadata?.GetValueOrDefault(ModelMetadata) is not { Length: > 0 } served)
        {
            return true;
        }
        return model.StartsWith(served, StringComparison.Ordinal) && (model.Length == served.Length || model[served.Length] == ':');
    }

    private static bool AnyServes(IReadOnlyList<DestinationState> destinations, string model)
    {
        for (var i = 0; i < destinations.Count; i++)
        {
            if (Serves(destinations[i], model))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>FNV-1a (64-bit): the same on every gateway replica and run (string.GetHashCode is randomised per process).</summary>
    private static ulong StableHash(string value)
    {
        var hash = 14695981039346656037ul;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 1099511628211ul;
        }
        return hash;
    }

    /// <summary>SplitMix64's finaliser: FNV-1a alone is too weak in its high bits to rank destinations fairly.</summary>
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ul;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBul;
        return x ^ (x >> 31);
    }
}
