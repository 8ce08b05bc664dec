using Microsoft.AspNetCore.Http;
using Platform.Services.Gateway.Proxy;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Tests.Proxy;

public sealed class SessionAffinityPolicyTests
{
    private static readonly DestinationState[] Replicas = [new("inference-0"), new("inference-1"), new("inference-2")];

    private static DestinationState? Pick(string? session, IReadOnlyList<DestinationState> available)
    {
        var context = new DefaultHttpContext();
        if (session is not null)
        {
            context.Items[SessionAffinityPolicy.SessionItem] = session;
        }
        return new SessionAffinityPolicy().PickDestination(context, null!, available);
    }

    [Fact]
    public void A_session_always_lands_on_the_same_replica_whatever_the_order()
    {
        var sessions = Enumerable.Range(0, 60).Select(i => "session-" + i).ToList();
        var first = sessions.Select(s => Pick(s, Replicas)!.DestinationId).ToList();
        var again = sessions.Select(s => Pick(s, Replicas.Reverse().ToArray())!.DestinationId).ToList();
        Assert.Equal(first, again);
        Assert.Equal(3, first.Distinct().Count());
    }

    [Fact]
    public void Without_a_session_the_least_busy_replica_is_chosen()
    {
        Replicas[0].ConcurrentRequestCount = 5;
        Replicas[1].ConcurrentRequestCount = 1;
        Replicas[2].ConcurrentRequestCount = 3;
        Assert.Equal("inference-1", Pick(null, Replicas)!.DestinationId);
        Assert.Null(Pick("s", []));
    }
}
