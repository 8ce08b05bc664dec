using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Platform.Services.Scheduler.Pool;
using StackExchange.Redis;

namespace Platform.Scheduler.Tests;

public sealed class PoolApiTests(Stores stores) : IClassFixture<Stores>
{
    // Recorded `nvidia-smi --query-gpu=index,name,memory.total --format=csv` of a 4 × A100-80GB node.
    private const string A100x4 =
        """
        index, name, memory.total [MiB]
        0, NVIDIA A100-SXM4-80GB, 81920 MiB
        1, NVIDIA A100-SXM4-80GB, 81920 MiB
        2, NVIDIA A100-SXM4-80GB, 81920 MiB
        3, NVIDIA A100-SXM4-80GB, 81920 MiB
        """;

    private const long Gib = 1L << 30;

    private async Task<SchedulerHost> StartAsync()
    {
        await stores.ResetAsync();
        var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        _ = host.Server; // start: migrations, local node, loop
        return host;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static object Allocation(string id, Guid tenant, string priority, long bytes, int devices = 1) => new
    {
        workload_id = id, tenant_id = tenant, priority, kind = devices > 1 ? "full-fine-tune" : "inference-replica",
        memory_per_device_bytes = bytes, device_count = devices,
    };

    private static async Task RegisterA100Async(HttpClient worker, string node = "gpu-node-1")
    {
        using var response = await worker.PostAsJsonAsync("/api/pool/workers", new { node_id = node, nvidia_smi_csv = A100x4, nvlink_groups = new[] { new[] { 0, 1, 2, 3 } } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task The_host_cpu_is_one_device_and_the_pool_view_needs_the_admin_scope()
    {
        await using var host = await StartAsync();
        using var anonymous = host.CreateClient();
        using var worker = host.Worker();
        using var admin = host.Admin();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/pool")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync("/api/pool")).StatusCode);
        var pool = await Json(await admin.GetAsync("/api/pool"));
        var node = Assert.Single(pool.GetProperty("nodes").EnumerateArray());
        Assert.Equal("scheduler-host", node.GetProperty("id").GetString());
        var device = Assert.Single(node.GetProperty("devices").EnumerateArray());
        Assert.Equal("cpu", device.GetProperty("model").GetString());
        Assert.Equal(8 * Gib, device.GetProperty("memory_bytes").GetInt64());
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.devices WHERE node_id = 'scheduler-host'"));
    }

    [Fact]
    public async Task A_worker_registers_from_nvidia_smi_and_impossible_reports_are_refused()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        await RegisterA100Async(worker);
        Assert.Equal(4, await stores.CountAsync("SELECT count(*) FROM scheduler.devices WHERE node_id = 'gpu-node-1' AND model = 'A100-SXM4-80GB'"));

        using var impossible = await worker.PostAsJsonAsync("/api/pool/workers",
            new { node_id = "liar", gpus = new[] { new { index = 0, name = "NVIDIA H100", memory_total_bytes = -5L } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, impossible.StatusCode);
        Assert.Contains("liar", (await Json(impossible)).GetProperty("detail").GetString());
        using var empty = await worker.PostAsJsonAsync("/api/pool/workers", new { node_id = "" });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        using var unknown = await worker.PostAsync("/api/pool/workers/nobody/heartbeat", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.nodes WHERE id = 'liar'"));
    }

    [Fact]
    public async Task Allocate_places_on_a_gpu_persists_and_release_frees_it()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        await RegisterA100Async(worker);

        using var placed = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/replica-0", SchedulerHost.Acme, "enterprise-guaranteed", 70 * Gib));
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var device = Assert.Single((await Json(placed)).GetProperty("device_ids").EnumerateArray()).GetString();
        Assert.StartsWith("gpu-node-1/gpu", device);
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.placements WHERE workload_id = 'acme/replica-0'"));

        using var gang = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/ft-0", SchedulerHost.Acme, "enterprise-guaranteed", 40 * Gib, 3));
        Assert.Equal(HttpStatusCode.Created, gang.StatusCode);
        Assert.Equal(3, (await Json(gang)).GetProperty("device_ids").GetArrayLength());

        using var tooBig = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/huge", SchedulerHost.Acme, "enterprise", 200 * Gib));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooBig.StatusCode);
        using var bad = await worker.PostAsJsonAsync("/api/pool/allocations", new { workload_id = "x", tenant_id = SchedulerHost.Acme, priority = "urgent", kind = "inference-replica", memory_per_device_bytes = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("priority", (await Json(bad)).GetProperty("field").GetString());
        using var reserved = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("serving/llama/1", SchedulerHost.Acme, "enterprise", 1 * Gib));
        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        Assert.Contains("reserved", (await Json(reserved)).GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await worker.DeleteAsync("/api/pool/allocations/acme/replica-0")).StatusCode);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements WHERE workload_id = 'acme/replica-0'"));
        Assert.Equal(HttpStatusCode.NotFound, (await worker.DeleteAsync("/api/pool/allocations/acme/replica-0")).StatusCode);
    }

    [Fact]
    public async Task Placements_survive_a_restart()
    {
        await using (var first = await StartAsync())
        {
            using var worker = first.Worker();
            await RegisterA100Async(worker);
            using var placed = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/replica-1", SchedulerHost.Acme, "enterprise-guaranteed", 60 * Gib));
            Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        }
        await using var second = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        using var admin = second.Admin();
        var pool = await Json(await admin.GetAsync("/api/pool"));
        var placement = Assert.Single(pool.GetProperty("placements").EnumerateArray());
        Assert.Equal("acme/replica-1", placement.GetProperty("workload_id").GetString());
        Assert.Equal(2, pool.GetProperty("nodes").GetArrayLength());
    }

    [Fact]
    public async Task A_worker_that_misses_heartbeats_is_drained_and_its_work_requeued()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        await RegisterA100Async(worker);
        using var placed = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/replica-2", SchedulerHost.Acme, "enterprise-guaranteed", 60 * Gib));
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var events = new List<string>();
        var subscriber = host.Services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber();
        var queue = await subscriber.SubscribeAsync(RedisChannel.Literal(PoolEvents.Channel));

        host.Clock.Advance(TimeSpan.FromSeconds(25)); // within 3 × 10 s
        Assert.Equal(HttpStatusCode.NoContent, (await worker.PostAsync("/api/pool/workers/gpu-node-1/heartbeat", null)).StatusCode);
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal("running", (await Json(await worker.GetAsync("/api/pool/allocations/acme/replica-2"))).GetProperty("state").GetString());

        host.Clock.Advance(TimeSpan.FromSeconds(31));
        await host.Pool.CycleAsync(CancellationToken.None);

        var status = await Json(await worker.GetAsync("/api/pool/allocations/acme/replica-2"));
        Assert.Equal("pending", status.GetProperty("state").GetString()); // the CPU device (8 GiB) cannot take 60 GiB
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements"));
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.nodes WHERE id = 'gpu-node-1' AND drained_at IS NOT NULL"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var types = new List<string>();
        while (!types.Contains("node-drained") || !types.Contains("requeued"))
        {
            var message = await queue.ReadAsync(cts.Token);
            types.Add(JsonDocument.Parse(message.Message.ToString()).RootElement.GetProperty("type").GetString()!);
        }

        // It comes back: heartbeats resume and the next cycle places the requeued replica again.
        Assert.Equal(HttpStatusCode.NoContent, (await worker.PostAsync("/api/pool/workers/gpu-node-1/heartbeat", null)).StatusCode);
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal("running", (await Json(await worker.GetAsync("/api/pool/allocations/acme/replica-2"))).GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_loop_publishes_the_consumer_share_with_a_ttl_and_it_shrinks_ahead_of_enterprise_demand()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        await RegisterA100Async(worker);
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await redis.KeyDeleteAsync(PoolEvents.AdmissionKey);

        host.Clock.Advance(TimeSpan.FromSeconds(5)); // the loop's next tick
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        RedisValue value;
        while ((value = await redis.StringGetAsync(PoolEvents.AdmissionKey)).IsNull)
        {
            await Task.Delay(20, cts.Token);
        }
        var before = JsonDocument.Parse(value.ToString()).RootElement;
        Assert.InRange(before.GetProperty("fraction").GetDouble(), 0, 1);
        Assert.True(before.TryGetProperty("computed_at", out _));
        var replicasBefore = before.GetProperty("consumer_replicas").GetInt32();
        var ttl = await redis.KeyTimeToLiveAsync(PoolEvents.AdmissionKey);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        // Enterprise work asks for two whole GPUs (one pending): the consumer budget shrinks before it runs.
        using var a = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/r-a", SchedulerHost.Acme, "enterprise-guaranteed", 75 * Gib));
        using var b = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/r-b", SchedulerHost.Acme, "enterprise-guaranteed", 75 * Gib));
        await host.Pool.CycleAsync(CancellationToken.None);
        var after = JsonDocument.Parse((await redis.StringGetAsync(PoolEvents.AdmissionKey)).ToString()).RootElement;
        Assert.True(after.GetProperty("consumer_replicas").GetInt32() < replicasBefore,
            $"consumer replicas {after.GetProperty("consumer_replicas")} should be below {replicasBefore}");
        Assert.True(after.GetProperty("admissible_kv_tokens").GetInt64() >= 0);
    }

    [Fact]
    public async Task Guarantees_beyond_the_schedulable_pool_are_reported_as_overcommitted_as_workers_join_and_drain()
    {
        await using var host = await StartAsync();
        using var admin = host.Admin();
        using var worker = host.Worker();

        // 160 + 80 GiB guaranteed, and only the 8 GiB CPU device in the pool.
        var pool = await Json(await admin.GetAsync("/api/pool"));
        Assert.True(pool.GetProperty("quota_overcommitted").GetBoolean());
        Assert.Equal(232 * Gib, pool.GetProperty("quota_overcommit").GetProperty("bytes").GetInt64());
        Assert.Equal(240 * Gib, pool.GetProperty("quota_overcommit").GetProperty("guaranteed_bytes").GetInt64());

        using var registered = await worker.PostAsJsonAsync("/api/pool/workers", new { node_id = "gpu-node-1", nvidia_smi_csv = A100x4 });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        pool = await Json(await admin.GetAsync("/api/pool"));
        Assert.False(pool.GetProperty("quota_overcommitted").GetBoolean());
        Assert.Equal(0, pool.GetProperty("quota_overcommit").GetProperty("bytes").GetInt64());
        Assert.Equal(328 * Gib, pool.GetProperty("quota_overcommit").GetProperty("schedulable_bytes").GetInt64());

        host.Clock.Advance(TimeSpan.FromSeconds(31)); // three missed 10 s heartbeats
        await host.Pool.CycleAsync(CancellationToken.None);
        pool = await Json(await admin.GetAsync("/api/pool"));
        Assert.True(pool.GetProperty("quota_overcommitted").GetBoolean());
        Assert.Equal(232 * Gib, pool.GetProperty("quota_overcommit").GetProperty("bytes").GetInt64());
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-00000000ac3e", "160", "Scheduler:Quotas:2: tenant 00000000-0000-0000-0000-00000000ac3e already has a quota at Scheduler:Quotas:0 (a duplicate entry)")]
    [InlineData("00000000-0000-0000-0000-00000000ac3e", "10", "with different figures (conflicting entries)")]
    [InlineData("00000000-0000-0000-0000-000000000000", "10", "Scheduler:Quotas:2: TenantId is required")]
    public async Task Duplicate_or_conflicting_quotas_stop_the_start(string tenant, string gib, string expected)
    {
        await stores.ResetAsync();
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), new Dictionary<string, string?>
        {
            ["Scheduler:Quotas:2:TenantId"] = tenant,
            ["Scheduler:Quotas:2:GuaranteedGib"] = gib,
        });
        var error = Assert.ThrowsAny<Exception>(() => host.Server);
        Assert.Contains(expected, Messages(error));
    }

    private static string Messages(Exception e) => e is AggregateException a
        ? string.Join(" | ", a.InnerExceptions.Select(Messages))
        : e.Message + (e.InnerException is { } inner ? " | " + Messages(inner) : "");
}
