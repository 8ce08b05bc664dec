using Microsoft.Extensions.Configuration;
using Platform.Services.Gateway.Proxy;
using Platform.Services.Gateway.Replicas;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Replicas;

/// <summary>Reading the published hash and building the inference cluster from it.</summary>
public sealed class ReplicaSetTests
{
    private static HashEntry Entry(string url, string json) => new(url, json);

    [Fact]
    public void Only_ready_entries_with_an_http_url_are_taken_in_url_order()
    {
        var replicas = ReplicaSet.Parse(
        [
            Entry("http://b:2/", """{"url":"http://b:2/","workload_id":"w2","model":"alpha","device":"cpu","ready":true,"source":"scheduler"}"""),
            Entry("http://a:1", """{"url":"http://a:1","workload_id":"w1","model":null,"device":"cpu","ready":true,"source":"service"}"""),
            Entry("http://c:3", """{"url":"http://c:3","workload_id":"w3","model":"alpha","device":"cpu","ready":false,"source":"scheduler"}"""),
            Entry("garbage", "not json"),
            Entry("ftp://d:4", """{"url":"ftp://d:4","ready":true}"""),
        ], out var skipped);

        Assert.Equal([new InferenceReplica("http://a:1", null), new InferenceReplica("http://b:2", "alpha")], replicas);
        Assert.Equal(["garbage", "ftp://d:4"], skipped);
    }

    [Fact]
    public void Published_replicas_replace_the_static_inference_urls_and_nothing_else()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:inference"] = "http://static:1/",
            ["Services:rag"] = "http://rag:1",
        }).Build();

        var (staticRoutes, staticClusters) = ProxyRoutes.Build(configuration);
        Assert.Equal(["http://static:1"], staticClusters.Single(c => c.ClusterId == "inference").Destinations!.Keys);

        var (routes, clusters) = ProxyRoutes.Build(configuration, [new InferenceReplica("http://a:1", null), new InferenceReplica("http://b:2", "alpha")]);
        var inference = clusters.Single(c => c.ClusterId == "inference");
        Assert.Equal(["http://a:1", "http://b:2"], inference.Destinations!.Keys.Order());
        Assert.Null(inference.Destinations["http://a:1"].Metadata);
        Assert.Equal("alpha", inference.Destinations["http://b:2"].Metadata![SessionAffinityPolicy.ModelMetadata]);
        Assert.Equal(staticClusters.Single(c => c.ClusterId == "rag"), clusters.Single(c => c.ClusterId == "rag"));
        Assert.Equal(staticRoutes.Select(r => r.RouteId), routes.Select(r => r.RouteId));
    }

    [Fact]
    public void Published_replicas_open_the_inference_routes_even_without_a_static_url()
    {
        var configuration = new ConfigurationBuilder().Build();
        Assert.Empty(ProxyRoutes.Build(configuration).Routes);
        var (routes, _) = ProxyRoutes.Build(configuration, [new InferenceReplica("http://a:1", null)]);
        Assert.Equal(["chat", "completions", "embeddings", "models"], routes.Select(r => r.RouteId));
    }
}
