using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Platform.Services.Scheduler.Backends.Local;
using Platform.Services.Scheduler.Pool;
using StackExchange.Redis;

namespace Platform.Scheduler.Tests.Backends;

/// <summary>The backend behind the real service: allocations start processes, preemption stops them, then the preemptor runs.</summary>
public sealed class BackendWiringTests(Stores stores) : IClassFixture<Stores>
{
    private static readonly Guid Research = Guid.Parse(Placements.Research);
    private const long Gib = 1L << 30;

    private static Dictionary<string, string?> LocalBackend(string logDir) => new()
    {
        ["Scheduler:Backend"] = "local",
        ["Scheduler:Local:LogDir"] = logDir,
        ["Scheduler:Local:Commands:lora-fine-tune:FileName"] = "/bin/sh",
        ["Scheduler:Local:Commands:lora-fine-tune:Arguments:0"] = "-c",
        ["Scheduler:Local:Commands:lora-fine-tune:Arguments:1"] = "trap 'echo checkpointed; exit 0' TERM; echo ready $CUDA_VISIBLE_DEVICES.; while :; do sleep 0.1; done",
        ["Scheduler:Local:Commands:inference-replica:FileName"] = "/bin/sh",
        ["Scheduler:Local:Commands:inference-replica:Arguments:0"] = "-c",
        ["Scheduler:Local:Commands:inference-replica:Arguments:1"] = "echo serving {workload_id} on $PORT; exec sleep 600",
    };

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static object Allocation(string id, Guid tenant, string priority, string kind, long bytes) => new
    {
        workload_id = id, tenant_id = tenant, priority, kind, memory_per_device_bytes = bytes, device_count = 1, checkpoint_seconds = 60,
    };

    [Fact]
    public async Task A_preempted_local_process_is_stopped_gracefully_released_and_the_preemptor_started()
    {
        await stores.ResetAsync();
        var logDir = Path.Combine(Path.GetTempPath(), "platform-scheduler-tests", Guid.NewGuid().ToString("N"));
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), LocalBackend(logDir));
        using var worker = host.Worker();
        using var admin = host.Admin();
        var backend = host.Services.GetRequiredService<LocalBackend>();
        var subscriber = host.Services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber();
        var events = await subscriber.SubscribeAsync(RedisChannel.Literal(PoolEvents.Channel));

        // Batch work borrows the host's 8 GiB CPU device and starts at once, with no GPU visible.
        using var lora = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("research/lora-0", Research, "batch", "lora-fine-tune", 6 * Gib));
        Assert.Equal(HttpStatusCode.Created, lora.StatusCode);
        var pool = await Json(await admin.GetAsync("/api/pool"));
        Assert.Equal("local", pool.GetProperty("backend").GetString());
        var runtime = Assert.Single(pool.GetProperty("placements").EnumerateArray()).GetProperty("runtime");
        Assert.Equal("running", runtime.GetProperty("state").GetString());
        Assert.StartsWith("pid ", runtime.GetProperty("handle").GetString());
        Assert.Equal("ready .", await WaitForLogAsync(backend.LogPath("research/lora-0"), "ready"));

        // Acme reclaims its guarantee: the fine-tune gets SIGTERM, checkpoints, is released, and the replica starts.
        using var replica = await worker.PostAsJsonAsync("/api/pool/allocations",
            Allocation("acme/replica-0", SchedulerHost.Acme, "enterprise-guaranteed", "inference-replica", 6 * Gib));
        Assert.Equal(HttpStatusCode.Accepted, replica.StatusCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await Json(await worker.GetAsync("/api/pool/allocations/acme/replica-0"))).GetProperty("state").GetString() != "running")
        {
            await Task.Delay(50, cts.Token);
            await host.Pool.CycleAsync(cts.Token);
        }
        Assert.Equal("checkpointed", await WaitForLogAsync(backend.LogPath("research/lora-0"), "checkpointed"));
        Assert.Equal(HttpStatusCode.NotFound, (await worker.GetAsync("/api/pool/allocations/research/lora-0")).StatusCode);
        Assert.Equal("serving acme/replica-0 on " + new Uri(RuntimeOf(await Json(await admin.GetAsync("/api/pool")), "acme/replica-0").GetProperty("endpoint").GetString()!).Port,
            await WaitForLogAsync(backend.LogPath("acme/replica-0"), "serving"));

        var seen = new List<(string Type, string? Id, string? Reason)>();
        while (!seen.Any(e => e.Type == "started" && e.Id == "acme/replica-0"))
        {
            var message = JsonDocument.Parse((await events.ReadAsync(cts.Token)).Message.ToString()).RootElement;
            seen.Add((message.GetProperty("type").GetString()!, message.GetProperty("workload_id").GetString(), message.GetProperty("reason").GetString()));
        }
        Assert.Contains(("released", "research/lora-0", "stopped by the local backend"), seen);
        Directory.Delete(logDir, recursive: true);
    }

    [Fact]
    public async Task A_fine_tune_that_finishes_is_released_and_reported_completed()
    {
        await stores.ResetAsync();
        var logDir = Path.Combine(Path.GetTempPath(), "platform-scheduler-tests", Guid.NewGuid().ToString("N"));
        var settings = LocalBackend(logDir);
        settings["Scheduler:Local:Commands:lora-fine-tune:Arguments:1"] = "echo trained; exit 0";
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), settings);
        using var worker = host.Worker();

        using var lora = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("research/lora-1", Research, "batch", "lora-fine-tune", 2 * Gib));
        Assert.Equal(HttpStatusCode.Created, lora.StatusCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        JsonElement status;
        while ((status = await Json(await worker.GetAsync("/api/pool/allocations/research/lora-1"))).GetProperty("state").GetString() == "running")
        {
            await Task.Delay(50, cts.Token);
            await host.Pool.CycleAsync(cts.Token);
        }
        Assert.Equal("completed", status.GetProperty("state").GetString());
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements"));
        Directory.Delete(logDir, recursive: true);
    }

    [Fact]
    public void An_unknown_backend_or_a_local_backend_without_commands_stops_the_start()
    {
        using var unknown = new SchedulerHost(stores, new FakeTimeProvider(), new Dictionary<string, string?> { ["Scheduler:Backend"] = "docker" });
        Assert.Contains("not one of none, local, kubernetes", Assert.Throws<InvalidOperationException>(() => unknown.Server).Message);
        using var empty = new SchedulerHost(stores, new FakeTimeProvider(), new Dictionary<string, string?> { ["Scheduler:Backend"] = "local" });
        Assert.Contains("names no command", Assert.ThrowsAny<Exception>(() => empty.Server).Message);
    }

    private static JsonElement RuntimeOf(JsonElement pool, string id) =>
        pool.GetProperty("placements").EnumerateArray().Single(p => p.GetProperty("workload_id").GetString() == id).GetProperty("runtime");

    private static async Task<string> WaitForLogAsync(string path, string prefix)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (File.Exists(path) && (await File.ReadAllLinesAsync(path, cts.Token)).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }
            await Task.Delay(50, cts.Token);
        }
    }
}
