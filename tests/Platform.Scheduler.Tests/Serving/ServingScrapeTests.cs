using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Platform.Services.Scheduler.Serving;

namespace Platform.Scheduler.Tests.Serving;

/// <summary>
/// The scraper against a real Inference host (stories260K-hf, real engine thread), and the scheduler's decisions
/// from what it reads: real PostgreSQL and Redis, the Scheduler host on a fake clock.
/// </summary>
public sealed class ServingScrapeTests(Stores stores) : IClassFixture<Stores>, IAsyncLifetime
{
    public Task InitializeAsync() => stores.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Services:inference"] = InferenceUnderTest.BaseUrl,
            // The figures below are those of an empty pool: the in-process host is not placed as a replica here (ReplicaScalingTests place it).
            ["Scheduler:Replicas:RegisterService"] = "false",
            // The consumer tenant has no guarantee here, so the reserve shows in its replica budget (1 GiB replicas on the 8 GiB device).
            ["Scheduler:Quotas:1:GuaranteedGib"] = "0",
            ["Scheduler:ConsumerReplicaBytes"] = (1L << 30).ToString(CultureInfo.InvariantCulture),
            ["Scheduler:Serving:ReplicaBytes"] = (1L << 30).ToString(CultureInfo.InvariantCulture),
            ["Scheduler:Serving:TokensPerSequence"] = "1000",
            ["Scheduler:Serving:TargetUtilization"] = "0.5",
            ["Scheduler:Serving:MaxReplicas"] = "6",
            ["Scheduler:Serving:ScaleInCooldownSeconds"] = "300",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static async Task CompleteAsync(HttpClient client, int count, int maxTokens)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat(maxTokens));
            response.EnsureSuccessStatusCode();
        }
    }

    private static object Chat(int maxTokens) =>
        new { model = InferenceUnderTest.Model, max_tokens = maxTokens, ignore_eos = true, messages = new[] { new { role = "user", content = "Once upon a time" } } };

    [Fact]
    public async Task TheScraperReadsARealInferenceHostAndReportsAnUnreachableOneWithoutFailing()
    {
        await using var inference = new InferenceUnderTest();
        using var client = inference.Client();
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow),
            Settings(("Scheduler:Serving:Endpoints:0", "http://127.0.0.1:1/"), ("Scheduler:Serving:Endpoints:1", "not a url")),
            InferenceRouting.For(inference));
        var scraper = host.Services.GetRequiredService<InferenceScraper>();
        await FirstCycleAsync(host);
        Assert.Equal([InferenceUnderTest.BaseUrl, "http://127.0.0.1:1", "not a url"], scraper.ConfiguredTargets().Select(t => t.Endpoint));

        await CompleteAsync(client, 3, maxTokens: 8);
        var first = await ScrapeUntilAsync(scraper, r => r.TtftP95Seconds is not null);
        var reading = first.Single(r => r.Endpoint == InferenceUnderTest.BaseUrl);
        Assert.Null(reading.Error);
        Assert.Equal(0, reading.Queue);
        Assert.Equal(0, reading.Running);
        Assert.True(reading.KvBlocksFree > 0);
        Assert.Equal(["batch", "consumer", "enterprise"], reading.Classes.Select(c => c.Priority));
        var enterprise = reading.Classes.Single(c => c.Priority == "enterprise");
        Assert.InRange(enterprise.TtftP95Seconds!.Value, 1e-6, 5);
        Assert.Equal(host.Clock.GetUtcNow(), reading.ScrapedAt);
        var down = first.Single(r => r.Endpoint == "http://127.0.0.1:1");
        Assert.NotNull(down.Error);
        Assert.Equal(0, down.Queue);
        Assert.NotNull(first.Single(r => r.Endpoint == "not a url").Error);

        // TTFT p95 is over the observations since the previous scrape: none now.
        var second = await scraper.ScrapeAsync(scraper.ConfiguredTargets(), CancellationToken.None);
        Assert.Null(second.Single(r => r.Endpoint == InferenceUnderTest.BaseUrl).TtftP95Seconds);
        await CompleteAsync(client, 1, maxTokens: 4);
        var third = await ScrapeUntilAsync(scraper, r => r.TtftP95Seconds is not null);
        Assert.NotNull(third.Single(r => r.Endpoint == InferenceUnderTest.BaseUrl).TtftP95Seconds);
    }

    [Fact]
    public async Task AnEnterpriseQueueScalesOutAndShrinksTheConsumerShareThenIdleScalesInAfterTheCooldown()
    {
        await using var inference = new InferenceUnderTest();
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), Settings(), InferenceRouting.For(inference));
        using var admin = host.Admin();
        await FirstCycleAsync(host);

        await host.Pool.CycleAsync(CancellationToken.None);
        var idle = await PoolAsync(admin);
        Assert.Equal(1, Plan(idle).GetProperty("recommended_replicas").GetInt32());
        Assert.Equal(0, Plan(idle).GetProperty("enterprise_reserve_bytes").GetInt64());
        Assert.Equal(8, Share(idle).GetProperty("consumer_replicas").GetInt32());

        // 12 enterprise requests at once; the engine runs one sequence at a time, so the rest queue.
        using var client = inference.Client();
        var requests = Enumerable.Range(0, 12).Select(_ => client.PostAsJsonAsync("/v1/chat/completions", Chat(200))).ToList();
        JsonElement busy = default;
        for (var i = 0; i < 400 && requests.Any(r => !r.IsCompleted); i++)
        {
            await host.Pool.CycleAsync(CancellationToken.None);
            busy = await PoolAsync(admin);
            if (Replica(busy).GetProperty("queue").GetInt32() >= 2)
            {
                break;
            }
            await Task.Delay(10);
        }
        var replica = Replica(busy);
        Assert.True(replica.GetProperty("queue").GetInt32() >= 2, busy.GetProperty("serving").ToString());
        Assert.Equal(InferenceUnderTest.BaseUrl, replica.GetProperty("endpoint").GetString());
        Assert.True(replica.TryGetProperty("scraped_at", out _));
        var sequences = replica.GetProperty("queue").GetInt32() + replica.GetProperty("running").GetInt32();
        // Offered load: sequences × 1000 tokens over half of one replica's KV capacity.
        var capacity = (replica.GetProperty("kv_blocks_used").GetInt64() + replica.GetProperty("kv_blocks_free").GetInt64()) * 16;
        var expected = Math.Min(6, (int)Math.Ceiling(sequences * 1000 / (capacity * 0.5)));
        var plan = Plan(busy);
        Assert.True(expected > 1, $"{sequences} sequences on {capacity} tokens");
        Assert.Equal(expected, plan.GetProperty("recommended_replicas").GetInt32());
        // All of the load is enterprise: every extra replica is held back from consumers, before any TTFT objective is missed.
        Assert.Equal((expected - 1) * (1L << 30), plan.GetProperty("enterprise_reserve_bytes").GetInt64());
        Assert.Equal(8 - (expected - 1), Share(busy).GetProperty("consumer_replicas").GetInt32());
        Assert.Equal((expected - 1) * (1L << 30), Share(busy).GetProperty("reserved_for_enterprise_bytes").GetInt64());

        foreach (var r in requests)
        {
            (await r).EnsureSuccessStatusCode();
        }
        // Idle again: the recommendation holds for the cooldown, then scales in and the reserve is gone.
        var held = await PoolAsync(admin);
        for (var i = 0; i < 200 && Replica(held).GetProperty("queue").GetInt32() + Replica(held).GetProperty("running").GetInt32() > 0; i++)
        {
            await Task.Delay(20);
            await host.Pool.CycleAsync(CancellationToken.None);
            held = await PoolAsync(admin);
        }
        Assert.Equal(0, Replica(held).GetProperty("queue").GetInt32());
        Assert.Equal(expected, Plan(held).GetProperty("recommended_replicas").GetInt32());
        Assert.Equal((expected - 1) * (1L << 30), Plan(held).GetProperty("enterprise_reserve_bytes").GetInt64());
        // (Read in process from here: the signed test caller's timestamp would be 5 minutes old on the fake clock.)
        host.Clock.Advance(TimeSpan.FromSeconds(301));
        await host.Pool.CycleAsync(CancellationToken.None);
        var after = await host.Pool.SnapshotAsync(CancellationToken.None);
        Assert.Equal(1, after.Serving!.Plan!.RecommendedReplicas);
        Assert.Equal(0, after.Serving.Plan.EnterpriseReserveBytes);
        Assert.Equal(8, after.AdmissionShare!.ConsumerReplicas);
    }

    // The exporter caches its answer briefly (OpenTelemetry's ScrapeResponseCacheDurationMilliseconds), so a scrape right
    // after another may repeat it: scrape until the reading of the Inference host shows what the test did.
    private static async Task<IReadOnlyList<ReplicaReading>> ScrapeUntilAsync(InferenceScraper scraper, Func<ReplicaReading, bool> done)
    {
        IReadOnlyList<ReplicaReading> readings = [];
        for (var i = 0; i < 200; i++)
        {
            readings = await scraper.ScrapeAsync(scraper.ConfiguredTargets(), CancellationToken.None);
            if (done(readings.Single(r => r.Endpoint == InferenceUnderTest.BaseUrl)))
            {
                break;
            }
            await Task.Delay(20);
        }
        return readings;
    }

    // The background loop scrapes once at start; wait for it, so that it cannot take a later scrape's observations.
    private static async Task FirstCycleAsync(SchedulerHost host)
    {
        var monitor = host.Services.GetRequiredService<ServingMonitor>();
        for (var i = 0; i < 500 && monitor.Last is null; i++)
        {
            await Task.Delay(20);
        }
        Assert.NotNull(monitor.Last);
    }

    private static async Task<JsonElement> PoolAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonElement>("/api/pool"));

    private static JsonElement Plan(JsonElement pool) => pool.GetProperty("serving").GetProperty("plan");

    private static JsonElement Share(JsonElement pool) => pool.GetProperty("admission_share");

    private static JsonElement Replica(JsonElement pool) => pool.GetProperty("serving").GetProperty("replicas")[0];
}
