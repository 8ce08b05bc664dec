using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Platform.LocalInfra;
using Platform.Services.Scheduler.Backends.Local;
using Platform.Services.Scheduler.Pool;
using Platform.Services.Scheduler.Serving;
using Platform.TestKit;
using StackExchange.Redis;

namespace Platform.Scheduler.Tests.Serving;

/// <summary>
/// The replica set end to end with real processes: the Scheduler host (real PostgreSQL and Redis, fake clock, local backend)
/// starts real Inference processes (the built services/Inference dll serving stories260K-hf) on free ports, scales them out
/// under queue pressure and in after the cooldown, and leaves no process behind.
/// </summary>
public sealed class ReplicaScalingTests(Stores stores) : IClassFixture<Stores>, IAsyncLifetime
{
    private const string Model = "stories260K-hf";
    private readonly string _logDir = Directory.CreateTempSubdirectory("sched-replicas-").FullName;
    private readonly string _emptyModelsDir = Directory.CreateTempSubdirectory("sched-replica-models-").FullName;

    public Task InitializeAsync() => stores.ResetAsync();

    public Task DisposeAsync()
    {
        Directory.Delete(_logDir, recursive: true);
        Directory.Delete(_emptyModelsDir, recursive: true);
        return Task.CompletedTask;
    }

    private Dictionary<string, string?> Settings()
    {
        var repo = RepoLayout.Find();
        var dll = Path.Combine(repo.Root, "artifacts", "bin", "Platform.Services.Inference", "debug", "Platform.Services.Inference.dll");
        Assert.True(File.Exists(dll), $"build services/Inference first: {dll}");
        return new()
        {
            ["Platform:ModelsDir"] = Path.Combine(repo.TestDataDir, "models"),
            ["Scheduler:Backend"] = "local",
            ["Scheduler:Local:LogDir"] = _logDir,
            ["Scheduler:Local:Commands:inference-replica:FileName"] = "dotnet",
            ["Scheduler:Local:Commands:inference-replica:Arguments:0"] = dll,
            ["Scheduler:Local:Commands:inference-replica:Environment:Platform__InternalSecret"] = SignedCaller.TestSecret,
            // Only the model it was started for (the test process's own settings must not add others).
            ["Scheduler:Local:Commands:inference-replica:Environment:Platform__ModelsDir"] = _emptyModelsDir,
            ["Scheduler:Local:Commands:inference-replica:Environment:Inference__MaxRunningSequences"] = "1",
            ["Scheduler:Replicas:Model"] = Model,
            ["Scheduler:Replicas:Priority"] = "enterprise",
            ["Scheduler:Replicas:KvCacheBytes"] = (4L << 20).ToString(CultureInfo.InvariantCulture),
            ["Scheduler:Replicas:OverheadBytes"] = (256L << 20).ToString(CultureInfo.InvariantCulture),
            ["Scheduler:Replicas:ScaleInCooldownSeconds"] = "60",
            ["Scheduler:Serving:TokensPerSequence"] = "1000",
            ["Scheduler:Serving:TargetUtilization"] = "0.5",
            ["Scheduler:Serving:MinReplicas"] = "1",
            ["Scheduler:Serving:MaxReplicas"] = "2",
            ["Scheduler:Serving:ScaleInCooldownSeconds"] = "300",
        };
    }

    [Fact]
    public async Task PressureStartsASecondReplicaProcessAndTheCooldownStopsItWithNoProcessLeft()
    {
        int firstPid, secondPid;
        await using (var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), Settings()))
        {
            using var admin = host.Admin();
            var redis = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

            // The minimum: one replica process, placed on the CPU device, serving the model it was started for.
            var start = await CycleUntilAsync(host, s => Replicas(s).Count(r => r.Ready) == 1);
            var first = Assert.Single(Replicas(start));
            Assert.Equal(("serving/stories260K-hf/1", "scheduler", Model, "scheduler-host/cpu"), (first.WorkloadId, first.Source, first.Model, first.Device));
            Assert.Equal([Model], await ModelsAsync(first.Url!));
            firstPid = Pid(start, first.WorkloadId);
            var environment = Environment(firstPid);
            Assert.Equal("", environment["CUDA_VISIBLE_DEVICES"]); // a CPU placement hides every GPU
            Assert.Equal(Path.Combine(RepoLayout.Find().TestDataDir, "models", Model), environment["Inference__Models__" + Model]);
            Assert.Equal((4L << 20).ToString(CultureInfo.InvariantCulture), environment["Inference__KvCacheBytes"]);
            var placement = start.Placements.Single(p => p.WorkloadId == first.WorkloadId);
            Assert.Equal(("enterprise", Guid.Empty.ToString("D")), (placement.Priority, placement.TenantId)); // the platform's own by default

            // Pressure: 12 requests at once on a replica that runs one sequence at a time.
            using var client = Signed();
            var requests = Enumerable.Range(0, 12).Select(_ => client.PostAsJsonAsync(first.Url + "/v1/chat/completions", Chat())).ToList();
            var scaled = await CycleUntilAsync(host, s => Replicas(s).Count == 2);
            Assert.Equal(2, scaled.Serving!.Plan!.RecommendedReplicas);
            var busy = Replicas(scaled).Single(r => r.WorkloadId == first.WorkloadId);
            Assert.True(busy.Queue + busy.Running > 0, "the queue that asked for the replica shows on the first one");
            var both = await CycleUntilAsync(host, s => Replicas(s).Count(r => r.Ready) == 2);
            var second = Replicas(both).Single(r => r.WorkloadId == "serving/stories260K-hf/2");
            Assert.NotEqual(first.Url, second.Url);
            Assert.Equal([Model], await ModelsAsync(second.Url!));
            secondPid = Pid(both, second.WorkloadId);

            // The live set for the gateway, and the pool view.
            var published = (await redis.HashGetAllAsync(InferenceReplicas.RedisKey))
                .Select(e => JsonSerializer.Deserialize<JsonElement>(e.Value.ToString())).ToList();
            Assert.Equal(new[] { first.Url, second.Url }.Order(), published.Select(p => p.GetProperty("url").GetString()).Order());
            Assert.All(published, p =>
            {
                Assert.True(p.GetProperty("ready").GetBoolean());
                Assert.Equal(Model, p.GetProperty("model").GetString());
                Assert.Equal("scheduler-host/cpu", p.GetProperty("device").GetString());
            });
            Assert.True(await redis.KeyTimeToLiveAsync(InferenceReplicas.RedisKey) is { } ttl && ttl > TimeSpan.Zero);
            var view = await admin.GetFromJsonAsync<JsonElement>("/api/pool");
            var listed = view.GetProperty("inference_replicas").EnumerateArray().ToList();
            Assert.Equal(2, listed.Count);
            Assert.All(listed, r =>
            {
                Assert.StartsWith("http://127.0.0.1:", r.GetProperty("url").GetString());
                Assert.Equal("scheduler-host/cpu", r.GetProperty("device").GetString());
                Assert.True(r.GetProperty("ready").GetBoolean());
                Assert.Equal(JsonValueKind.Number, r.GetProperty("queue").ValueKind);
                Assert.True(r.TryGetProperty("ttft_p95_seconds", out _));
            });

            foreach (var r in requests)
            {
                using var response = await r;
                response.EnsureSuccessStatusCode();
            }
            await CycleUntilAsync(host, s => Replicas(s).All(r => r.Queue == 0 && r.Running == 0));

            // Pressure gone: the recommendation holds for its window, then the set waits its own cooldown before it stops one.
            host.Clock.Advance(TimeSpan.FromSeconds(301));
            var held = await CycleUntilAsync(host, s => s.Serving?.Plan?.RecommendedReplicas == 1);
            Assert.Equal(2, Replicas(held).Count(r => r.State == "ready"));
            host.Clock.Advance(TimeSpan.FromSeconds(61));
            var stopping = await CycleUntilAsync(host, s => Replicas(s).Count == 1);
            Assert.Equal("terminating", stopping.InferenceReplicas.Single(r => r.WorkloadId == second.WorkloadId).State);
            // SIGTERM: the replica shuts down by itself and is released once it has exited.
            var scaledIn = await CycleUntilAsync(host, s => s.InferenceReplicas.Count == 1);
            Assert.Equal(first.WorkloadId, Assert.Single(Replicas(scaledIn)).WorkloadId); // the newest went first
            Assert.False(Alive(secondPid), $"pid {secondPid} still runs after the scale-in");
            Assert.True(Alive(firstPid));
            Assert.Single(await redis.HashKeysAsync(InferenceReplicas.RedisKey));
            Assert.True(File.Exists(host.Services.GetRequiredService<LocalBackend>().LogPath(second.WorkloadId)));
        }
        // The scheduler stopped (SIGTERM to its children, a kill after the grace period): no replica process is left behind.
        Assert.True(await GoneAsync(firstPid), $"pid {firstPid} outlived the scheduler");
        Assert.False(Alive(secondPid));
    }

    [Fact]
    public async Task TheLaunchedInferenceServiceIsPlacedAsAReplicaOnTheCpuDeviceAndPublishedButNeverStartedAgain()
    {
        await using var inference = new InferenceUnderTest();
        var settings = Settings();
        settings["Services:inference"] = InferenceUnderTest.BaseUrl + "/";
        settings["Scheduler:Backend"] = "none";
        settings["Scheduler:Replicas:Model"] = "";
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), settings, services =>
        {
            InferenceRouting.For(inference)(services);
            services.AddHttpClient(InferenceReplicas.ClientName).ConfigurePrimaryHttpMessageHandler(() => new InferenceRouting(inference));
        });
        var pool = await CycleUntilAsync(host, s => Replicas(s).SingleOrDefault()?.Ready == true);
        var service = Assert.Single(Replicas(pool));
        Assert.Equal((InferenceReplicas.ServiceReplicaId, "service", InferenceUnderTest.BaseUrl, "scheduler-host/cpu", "ready"),
            (service.WorkloadId, service.Source, service.Url, service.Device, service.State));
        Assert.Equal((0, 0), (service.Queue, service.Running));
        Assert.Null(service.ScrapeError);
        // Sized as what it loads from Platform:ModelsDir: every checkpoint's weights and KV budget, plus the runtime.
        var checkpoints = CheckpointSize.Checkpoints(settings["Platform:ModelsDir"]);
        Assert.Contains(checkpoints, c => c.EndsWith(Model, StringComparison.Ordinal));
        var expected = checkpoints.Sum(CheckpointSize.WeightsBytes) + checkpoints.Count * (4L << 20) + (256L << 20);
        Assert.Equal(expected, pool.Placements.Single(p => p.WorkloadId == InferenceReplicas.ServiceReplicaId).BytesPerDevice);
        Assert.Equal(expected, pool.Nodes.Single().Devices.Single().UsedBytes);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements")); // registered at each start, not stored
        var published = await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .HashGetAsync(InferenceReplicas.RedisKey, InferenceUnderTest.BaseUrl);
        var entry = JsonSerializer.Deserialize<JsonElement>(published.ToString());
        Assert.Equal(("service", true), (entry.GetProperty("source").GetString(), entry.GetProperty("ready").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("model").ValueKind);
    }

    [Fact]
    public async Task AnUnreachableServiceIsRegisteredButNotReady()
    {
        var settings = Settings();
        settings["Services:inference"] = "http://127.0.0.1:1/";
        settings["Scheduler:Backend"] = "none";
        settings["Scheduler:Replicas:Model"] = "";
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), settings);
        await host.Pool.CycleAsync(CancellationToken.None);
        var service = Assert.Single(Replicas(await host.Pool.SnapshotAsync(CancellationToken.None)));
        Assert.Equal(("starting", false), (service.State, service.Ready));
        Assert.NotNull(service.ScrapeError);
    }

    [Fact]
    public void AModelThatIsNotACheckpointStopsTheStart()
    {
        var settings = Settings();
        settings["Scheduler:Replicas:Model"] = "no-such-model";
        using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), settings);
        var error = Assert.ThrowsAny<Exception>(() => host.Server);
        Assert.Contains("'no-such-model' is not a checkpoint folder", error.ToString());
    }

    private static List<InferenceReplicaView> Replicas(PoolSnapshot pool) => pool.InferenceReplicas.Where(r => r.State != "terminating").ToList();

    private static int Pid(PoolSnapshot pool, string workloadId) =>
        int.Parse(pool.Placements.Single(p => p.WorkloadId == workloadId).Runtime!.Handle!["pid ".Length..], CultureInfo.InvariantCulture);

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z", StringComparison.Ordinal);

    private static async Task<bool> GoneAsync(int pid)
    {
        for (var i = 0; i < 600 && Alive(pid); i++)
        {
            await Task.Delay(100);
        }
        return !Alive(pid);
    }

    private static Dictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    private static HttpClient Signed() =>
        new(new SignedCaller(SignedCaller.Tenant(Guid.NewGuid()), SignedCaller.TestSecret) { InnerHandler = new SocketsHttpHandler() })
        {
            Timeout = TimeSpan.FromMinutes(3),
        };

    private static async Task<string[]> ModelsAsync(string url)
    {
        using var client = Signed();
        var models = await client.GetFromJsonAsync<JsonElement>(url + "/v1/models");
        return models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();
    }

    private static object Chat() =>
        new { model = Model, max_tokens = 200, ignore_eos = true, messages = new[] { new { role = "user", content = "Once upon a time" } } };

    /// <summary>Runs cycles until <paramref name="done"/> holds (processes start and answer in real time; no timing is asserted).</summary>
    private static async Task<PoolSnapshot> CycleUntilAsync(SchedulerHost host, Func<PoolSnapshot, bool> done)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            await host.Pool.CycleAsync(cts.Token);
            var pool = await host.Pool.SnapshotAsync(cts.Token);
            if (done(pool))
            {
                return pool;
            }
            await Task.Delay(100, cts.Token);
        }
    }
}
