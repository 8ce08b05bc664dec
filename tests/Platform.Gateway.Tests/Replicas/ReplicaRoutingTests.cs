using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.Services.Gateway.Replicas;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Replicas;

/// <summary>
/// The gateway follows the replica set the Scheduler publishes in Redis: two real upstream apps act as replicas
/// (each names itself in a response header), the shared upstream is <c>Services:inference</c>, the static fallback.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ReplicaRoutingTests(GatewayStores stores) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);
    private readonly string _hashKey = "test:pool:inference:replicas:" + Guid.NewGuid().ToString("N");
    private readonly Upstream _one = new();
    private readonly Upstream _two = new();
    private ConnectionMultiplexer _redis = null!;
    private GatewayHost _gateway = null!;
    private HttpClient _client = null!;

    private InferenceReplicaSource Source => _gateway.Services.GetRequiredService<InferenceReplicaSource>();

    private string Static => stores.Upstream.Url;

    private IEnumerable<string> Both => new[] { _one.Url, _two.Url }.Order();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_one.StartAsync(), _two.StartAsync());
        _redis = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString);
        _gateway = new GatewayHost(stores, new Dictionary<string, string?>
        {
            ["Gateway:Replicas:RedisKey"] = _hashKey,
            ["Gateway:Replicas:PollMilliseconds"] = "100",
        });
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise, "pro");
        var key = await _gateway.CreateKeyAsync(tenant.Id);
        _client = _gateway.WithKey(key.SecretKey);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
        await Task.WhenAll(_one.DisposeAsync().AsTask(), _two.DisposeAsync().AsTask());
    }

    [Fact]
    public async Task Without_a_published_set_the_static_inference_url_serves_and_it_returns_when_the_set_expires()
    {
        await Source.RefreshAsync();
        Assert.Equal(Static, await AnsweredByAsync("s-1"));

        // Published but not ready: still the static URL.
        await PublishAsync((_one, null, false));
        await Source.RefreshAsync();
        Assert.Empty(Source.Current);
        Assert.Equal(Static, await AnsweredByAsync("s-1"));

        await PublishAsync((_one, null, true));
        await WaitUntilAsync(async () => await AnsweredByAsync("s-1") == _one.Url);

        await _redis.GetDatabase().KeyDeleteAsync(_hashKey);
        await WaitUntilAsync(async () => await AnsweredByAsync("s-1") == Static);
        using var models = await _client.GetAsync("/v1/models");
        Assert.Equal(Static, AnsweredBy(models));
    }

    [Fact]
    public async Task A_new_replica_takes_traffic_within_seconds_and_a_session_keeps_its_replica()
    {
        await PublishAsync((_one, null, true));
        await WaitUntilAsync(async () => await AnsweredByAsync("s-0") == _one.Url);

        await PublishAsync((_one, null, true), (_two, null, true));
        var sessions = Enumerable.Range(0, 24).Select(i => $"chat-{i}").ToList();
        await WaitUntilAsync(async () => (await AssignAsync(sessions)).Values.Contains(_two.Url));

        var assigned = await AssignAsync(sessions);
        Assert.Equal(Both, assigned.Values.Distinct().Order());
        foreach (var session in sessions.Take(6))
        {
            for (var i = 0; i < 8; i++)
            {
                Assert.Equal(assigned[session], await AnsweredByAsync(session));
            }
        }
        Assert.DoesNotContain(Static, assigned.Values);
    }

    [Fact]
    public async Task Removing_a_replica_moves_only_its_sessions()
    {
        await PublishAsync((_one, null, true), (_two, null, true), (stores.Upstream, null, true));
        await WaitUntilAsync(() => Task.FromResult(Source.Current.Count == 3));
        var sessions = Enumerable.Range(0, 30).Select(i => $"conv-{i}").ToList();
        var before = await AssignAsync(sessions);
        Assert.Equal(3, before.Values.Distinct().Count());

        await PublishAsync((_one, null, true), (stores.Upstream, null, true));
        await WaitUntilAsync(() => Task.FromResult(Source.Current.Count == 2));
        var after = await AssignAsync(sessions);

        Assert.DoesNotContain(_two.Url, after.Values);
        Assert.All(sessions.Where(s => before[s] != _two.Url), s => Assert.Equal(before[s], after[s]));
    }

    [Fact]
    public async Task A_request_for_a_model_goes_to_the_replicas_serving_it()
    {
        var sessions = Enumerable.Range(0, 20).Select(i => $"m-{i}").ToList();
        await PublishAsync((_one, "alpha", true), (_two, null, true));
        await WaitUntilAsync(() => Task.FromResult(Source.Current.Count == 2));

        Assert.Equal(Both, (await AssignAsync(sessions, "alpha")).Values.Distinct().Order());
        Assert.Equal([_two.Url], (await AssignAsync(sessions, "beta")).Values.Distinct());

        await PublishAsync((_one, "alpha", true), (_two, "beta", true));
        await WaitUntilAsync(() => Task.FromResult(Source.Current.All(r => r.Model is not null)));
        Assert.Equal([_one.Url], (await AssignAsync(sessions, "alpha")).Values.Distinct());
        Assert.Equal([_two.Url], (await AssignAsync(sessions, "beta:tenant-adapter")).Values.Distinct());
        // No replica serves gamma: every replica is a candidate.
        Assert.Equal(Both, (await AssignAsync(sessions, "gamma")).Values.Distinct().Order());
    }

    [Fact]
    public async Task A_stream_on_a_replica_that_left_the_set_runs_to_its_end()
    {
        await PublishAsync((_one, null, true), (_two, null, true));
        await WaitUntilAsync(() => Task.FromResult(Source.Current.Count == 2));
        var sessions = await AssignAsync(Enumerable.Range(0, 20).Select(i => $"long-{i}").ToList());
        var session = sessions.First(s => s.Value == _two.Url).Key;

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = "m", session_id = session, stream = true, test_chunks = 8, test_delay_ms = 150,
                messages = new[] { new { role = "user", content = "tell me a story" } },
            }),
        };
        using var stream = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(_two.Url, AnsweredBy(stream));

        await PublishAsync((_one, null, true));
        await WaitUntilAsync(() => Task.FromResult(Source.Current.Count == 1));
        Assert.Equal(_one.Url, await AnsweredByAsync(session));

        var body = await stream.Content.ReadAsStringAsync();
        Assert.Equal(8, body.Split("chat.completion.chunk").Length - 1);
        Assert.EndsWith("data: [DONE]\n\n", body);
    }

    private async Task PublishAsync(params (Upstream Upstream, string? Model, bool Ready)[] replicas)
    {
        // The Scheduler's shape: one transaction replacing the hash, with a TTL.
        var transaction = _redis.GetDatabase().CreateTransaction();
        _ = transaction.KeyDeleteAsync(_hashKey);
        _ = transaction.HashSetAsync(_hashKey, replicas.Select(r => new HashEntry(r.Upstream.Url, JsonSerializer.Serialize(new
        {
            url = r.Upstream.Url, workload_id = "serving/test/" + r.Upstream.Url, model = r.Model, device = "cpu", ready = r.Ready, source = "scheduler",
        }))).ToArray());
        _ = transaction.KeyExpireAsync(_hashKey, TimeSpan.FromMinutes(1));
        Assert.True(await transaction.ExecuteAsync());
    }

    private async Task<string> AnsweredByAsync(string session, string model = "m")
    {
        using var response = await _client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model, session_id = session, messages = new[] { new { role = "user", content = "hi" } },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return AnsweredBy(response);
    }

    private static string AnsweredBy(HttpResponseMessage response) => response.Headers.GetValues(Upstream.AnsweredByHeader).Single();

    private async Task<Dictionary<string, string>> AssignAsync(IReadOnlyList<string> sessions, string model = "m")
    {
        var assigned = new Dictionary<string, string>();
        foreach (var session in sessions)
        {
            assigned[session] = await AnsweredByAsync(session, model);
        }
        return assigned;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Within;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within {Within.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}
