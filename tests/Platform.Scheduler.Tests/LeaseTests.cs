using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Platform.Scheduler.Tests;

/// <summary>Optional leases on allocations: renewed by reading the allocation, released by the scheduling cycle when they run out.</summary>
public sealed class LeaseTests(Stores stores) : IClassFixture<Stores>
{
    private const long Gib = 1L << 30;

    private async Task<SchedulerHost> StartAsync()
    {
        await stores.ResetAsync();
        var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        _ = host.Server;
        return host;
    }

    private static object Allocation(string id, long bytes, int? leaseSeconds) => new
    {
        workload_id = id, tenant_id = SchedulerHost.Acme, priority = "batch", kind = "lora-fine-tune",
        memory_per_device_bytes = bytes, lease_seconds = leaseSeconds,
    };

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<string?> StateAsync(HttpClient worker, string id) =>
        (await Json(await worker.GetAsync($"/api/pool/allocations/{id}"))).GetProperty("state").GetString();

    [Fact]
    public async Task A_lease_renewed_by_polling_holds_and_one_left_to_run_out_is_released_by_the_cycle()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        using var admin = host.Admin();
        using (var created = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("ft-leased", 2 * Gib, 30)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var plain = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("ft-plain", 2 * Gib, null)))
        {
            Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
        }
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.placements WHERE workload_id = 'ft-leased' AND lease_seconds = 30"));
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.placements WHERE workload_id = 'ft-plain' AND lease_seconds IS NULL"));
        var placements = (await Json(await admin.GetAsync("/api/pool"))).GetProperty("placements").EnumerateArray().ToList();
        var leasedView = placements.Single(p => p.GetProperty("workload_id").GetString() == "ft-leased");
        Assert.Equal(host.Clock.GetUtcNow().AddSeconds(30), leasedView.GetProperty("lease_expires_at").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, placements.Single(p => p.GetProperty("workload_id").GetString() == "ft-plain").GetProperty("lease_expires_at").ValueKind);

        // The holder polls: each GET renews the lease, so it outlives its first 30 s.
        for (var i = 0; i < 4; i++)
        {
            host.Clock.Advance(TimeSpan.FromSeconds(20));
            Assert.Equal("running", await StateAsync(worker, "ft-leased"));
            await host.Pool.CycleAsync(CancellationToken.None);
        }
        Assert.Equal("running", await StateAsync(worker, "ft-leased"));

        // The holder crashes: no more polls. 29 s later it still holds; at 30 s the cycle releases it.
        host.Clock.Advance(TimeSpan.FromSeconds(29));
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.placements WHERE workload_id = 'ft-leased'"));
        host.Clock.Advance(TimeSpan.FromSeconds(1));
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements WHERE workload_id = 'ft-leased'"));
        var status = await Json(await worker.GetAsync("/api/pool/allocations/ft-leased"));
        Assert.Equal("expired", status.GetProperty("state").GetString());
        Assert.Equal("lease of 30 s not renewed", status.GetProperty("reason").GetString());
        var pool = await Json(await admin.GetAsync("/api/pool"));
        Assert.Equal(["ft-plain"], pool.GetProperty("placements").EnumerateArray().Select(p => p.GetProperty("workload_id").GetString()));

        // Without a lease, nothing changes: an hour without a poll and it is still held. (Read in process: the signed
        // test caller's timestamp would be an hour old on the fake clock.)
        host.Clock.Advance(TimeSpan.FromHours(1));
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal("running", (await host.Pool.StatusAsync("ft-plain", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_pending_leased_request_whose_holder_is_gone_leaves_the_queue_and_a_bad_lease_is_refused()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        using (var big = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("ft-big", 6 * Gib, null)))
        {
            Assert.Equal(HttpStatusCode.Created, big.StatusCode);
        }
        using (var waiting = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("ft-waiting", 6 * Gib, 10)))
        {
            Assert.Equal(HttpStatusCode.Accepted, waiting.StatusCode);
        }
        host.Clock.Advance(TimeSpan.FromSeconds(11));
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal("expired", await StateAsync(worker, "ft-waiting"));
        // Once the memory frees, the expired request is not placed behind its holder's back.
        using (await worker.DeleteAsync("/api/pool/allocations/ft-big"))
        {
        }
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements"));

        foreach (var bad in new[] { 0, -5, 86_401 })
        {
            using var response = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("ft-bad", Gib, bad));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("lease_seconds", (await Json(response)).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_restarted_scheduler_gives_a_stored_lease_a_fresh_term()
    {
        await stores.ResetAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using (var first = new SchedulerHost(stores, clock))
        {
            using var worker = first.Worker();
            using var created = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("ft-survivor", Gib, 60));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        clock.Advance(TimeSpan.FromSeconds(50));
        await using var second = new SchedulerHost(stores, clock);
        using var admin = second.Admin();
        var view = (await Json(await admin.GetAsync("/api/pool"))).GetProperty("placements").EnumerateArray().Single();
        Assert.Equal(clock.GetUtcNow().AddSeconds(60), view.GetProperty("lease_expires_at").GetDateTimeOffset());
        clock.Advance(TimeSpan.FromSeconds(61));
        await second.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.placements"));
    }
}
