using Microsoft.AspNetCore.Http;
using Platform.Services.Gateway.Proxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Tests.Replicas;

/// <summary>The pure selection of <see cref="SessionAffinityPolicy"/>: rendezvous hashing and the model filter.</summary>
public sealed class ReplicaSelectionTests
{
    private static readonly List<string> Sessions = [.. Enumerable.Range(0, 1000).Select(i => $"sess-{i:D4}-{i * 7919 % 1000}")];

    private static DestinationState Replica(string url, string? model = null) =>
        new(url, new DestinationModel(new DestinationConfig
        {
            Address = url,
            Metadata = model is null ? null : new Dictionary<string, string> { [SessionAffinityPolicy.ModelMetadata] = model },
        }));

    private static List<DestinationState> Replicas(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Replica($"http://10.0.0.{i + 1}:8080"))];

    private static string? Pick(IReadOnlyList<DestinationState> available, string? session, string? model = null)
    {
        var context = new DefaultHttpContext();
        if (session is not null)
        {
            context.Items[SessionAffinityPolicy.SessionItem] = session;
        }
        if (model is not null)
        {
            context.Items[SessionAffinityPolicy.ModelItem] = model;
        }
        return new SessionAffinityPolicy().PickDestination(context, null!, available)?.DestinationId;
    }

    private static Dictionary<string, string> Assign(IReadOnlyList<DestinationState> replicas) =>
        Sessions.ToDictionary(s => s, s => Pick(replicas, s)!);

    [Fact]
    public void Adding_a_fourth_replica_moves_only_the_sessions_it_takes()
    {
        var three = Replicas(3);
        var four = Replicas(4);
        var before = Assign(three);
        var after = Assign(four);

        var moved = Sessions.Where(s => before[s] != after[s]).ToList();
        Assert.InRange(moved.Count, 150, 350);
        Assert.All(moved, s => Assert.Equal(four[3].DestinationId, after[s]));
        Assert.All(after.Values.GroupBy(v => v), g => Assert.InRange(g.Count(), 170, 330));
    }

    [Fact]
    public void Removing_a_replica_moves_only_its_own_sessions()
    {
        var four = Replicas(4);
        var before = Assign(four);
        var gone = four[1].DestinationId;
        var after = Assign([.. four.Where(d => d.DestinationId != gone)]);

        Assert.All(Sessions, s =>
        {
            if (before[s] == gone)
            {
                Assert.NotEqual(gone, after[s]);
            }
            else
            {
                Assert.Equal(before[s], after[s]);
            }
        });
    }

    [Fact]
    public void The_same_session_picks_the_same_replica_whatever_the_order_of_destinations()
    {
        var replicas = Replicas(5);
        var reversed = Enumerable.Reverse(replicas).ToList();
        Assert.All(Sessions.Take(200), s => Assert.Equal(Pick(replicas, s), Pick(reversed, s)));
    }

    [Fact]
    public void A_model_goes_only_to_replicas_of_that_model_or_of_every_model()
    {
        var alpha = Replica("http://a:1", "alpha");
        var beta = Replica("http://b:1", "beta");
        var any = Replica("http://c:1");
        DestinationState[] all = [alpha, beta, any];

        var alphaPicks = Sessions.Take(200).Select(s => Pick(all, s, "alpha")).Distinct().Order().ToList();
        Assert.Equal(["http://a:1", "http://c:1"], alphaPicks);
        var adapterPicks = Sessions.Take(200).Select(s => Pick(all, s, "beta:tenant-lora")).Distinct().Order().ToList();
        Assert.Equal(["http://b:1", "http://c:1"], adapterPicks);
        // "alphabet" is not "alpha" (nor one of its adapters).
        Assert.DoesNotContain("http://a:1", Sessions.Take(200).Select(s => Pick(all, s, "alphabet")));
    }

    [Fact]
    public void A_model_no_replica_serves_falls_back_to_all()
    {
        DestinationState[] both = [Replica("http://a:1", "alpha"), Replica("http://b:1", "beta")];
        var picks = Sessions.Take(200).Select(s => Pick(both, s, "gamma")).Distinct().Order().ToList();
        Assert.Equal(["http://a:1", "http://b:1"], picks);
    }

    [Fact]
    public void Without_a_session_the_least_busy_replica_of_the_model_is_chosen()
    {
        var alpha = Replica("http://a:1", "alpha");
        var beta = Replica("http://b:1", "beta");
        var alpha2 = Replica("http://a:2", "alpha");
        alpha.ConcurrentRequestCount = 4;
        beta.ConcurrentRequestCount = 0;
        alpha2.ConcurrentRequestCount = 2;
        DestinationState[] all = [alpha, beta, alpha2];

        Assert.Equal("http://a:2", Pick(all, null, "alpha"));
        Assert.Equal("http://b:1", Pick(all, null));
        Assert.Equal("http://b:1", Pick(all, null, "unknown-model"));
    }

    [Fact]
    public void The_filter_keeps_affinity_over_the_filtered_set()
    {
        var alpha = Replica("http://a:1", "alpha");
        var alpha2 = Replica("http://a:2", "alpha");
        DestinationState[] withBeta = [alpha, Replica("http://b:1", "beta"), alpha2];
        DestinationState[] alphasOnly = [alpha, alpha2];

        Assert.All(Sessions.Take(200), s => Assert.Equal(Pick(alphasOnly, s, "alpha"), Pick(withBeta, s, "alpha")));
    }
}
