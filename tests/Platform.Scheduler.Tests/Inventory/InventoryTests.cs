using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Platform.Scheduler.Tests.Inventory;

/// <summary>The inventory gaps: quota overcommit, local NVLink groups, configured nodes, MIG and MPS on registration.</summary>
public sealed class InventoryTests(Stores stores) : IClassFixture<Stores>
{
    private const long Gib = 1L << 30;

    private const string A100x4 =
        """
        index, name, memory.total [MiB]
        0, NVIDIA A100-SXM4-80GB, 81920 MiB
        1, NVIDIA A100-SXM4-80GB, 81920 MiB
        2, NVIDIA A100-SXM4-80GB, 81920 MiB
        3, NVIDIA A100-SXM4-80GB, 81920 MiB
        """;

    private async Task<SchedulerHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        await stores.ResetAsync();
        var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), settings);
        _ = host.Server;
        return host;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static object Allocation(string id, long bytes, int devices = 1) => new
    {
        workload_id = id, tenant_id = SchedulerHost.Acme, priority = "enterprise-guaranteed", kind = devices > 1 ? "full-fine-tune" : "inference-replica",
        memory_per_device_bytes = bytes, device_count = devices,
    };

    private static string Messages(Exception e) => e is AggregateException a
        ? string.Join(" | ", a.InnerExceptions.Select(Messages))
        : e.Message + (e.InnerException is { } inner ? " | " + Messages(inner) : "");

    [Fact]
    public async Task The_hosts_gpus_come_with_the_nvlink_groups_of_topo_and_a_gang_places_on_them()
    {
        using var smi = new FakeNvidiaSmi();
        await using var host = await StartAsync(new() { ["Scheduler:DetectGpus"] = "true", ["Scheduler:NvidiaSmiPath"] = smi.Path });
        using var worker = host.Worker();
        using var admin = host.Admin();

        var devices = (await Json(await admin.GetAsync("/api/pool"))).GetProperty("nodes").EnumerateArray().Single().GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(9, devices.Count); // the CPU and eight H100s
        Assert.Single(devices.Where(d => d.GetProperty("model").GetString() != "cpu").Select(d => d.GetProperty("nv_link_group").GetString()).Distinct());
        var calls = File.ReadAllLines(smi.CallsLog);
        Assert.Contains("--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,mig.mode.current --format=csv", calls);
        Assert.Contains("topo -m", calls);

        using var gang = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/ft-local", 60 * Gib, 2));
        Assert.Equal(HttpStatusCode.Created, gang.StatusCode);
        var placed = (await Json(gang)).GetProperty("device_ids").EnumerateArray().Select(d => d.GetString()!).ToList();
        Assert.Equal(2, placed.Count);
        Assert.All(placed, d => Assert.StartsWith("scheduler-host/gpu", d));
    }

    [Fact]
    public async Task The_nvlink_groups_setting_overrides_a_host_without_topology()
    {
        using var smi = new FakeNvidiaSmi(topologyFile: null);
        await using var host = await StartAsync(new()
        {
            ["Scheduler:DetectGpus"] = "true", ["Scheduler:NvidiaSmiPath"] = smi.Path,
            ["Scheduler:NvLinkGroups:0"] = "0,1", ["Scheduler:NvLinkGroups:1"] = "2,3,4,5",
        });
        using var worker = host.Worker();
        using var pair = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/pair", 60 * Gib, 2));
        Assert.Equal(HttpStatusCode.Created, pair.StatusCode);
        using var four = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/four", 60 * Gib, 4));
        Assert.Equal(HttpStatusCode.Created, four.StatusCode);
        Assert.All((await Json(four)).GetProperty("device_ids").EnumerateArray(), d => Assert.Matches("scheduler-host/gpu[2-5]", d.GetString()));
        using var five = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/five", 60 * Gib, 5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, five.StatusCode);
        Assert.Contains("largest suitable group has 4", (await Json(five)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Configured_nodes_are_in_the_pool_and_a_placement_on_a_mig_gpu_is_charged_a_slice()
    {
        await using var host = await StartAsync(new()
        {
            ["Scheduler:Nodes:0:Id"] = "cfg-a100",
            ["Scheduler:Nodes:0:Gpus:0:Model"] = "A100-SXM4-80GB",
            ["Scheduler:Nodes:0:Gpus:0:MemoryGib"] = "80",
            ["Scheduler:Nodes:0:Gpus:0:MigSliceGib:0"] = "10",
            ["Scheduler:Nodes:0:Gpus:0:MigSliceGib:1"] = "20",
            ["Scheduler:Nodes:0:Gpus:0:MigSliceGib:2"] = "40",
            ["Scheduler:Nodes:0:Gpus:1:Model"] = "A100-SXM4-80GB",
            ["Scheduler:Nodes:0:Gpus:1:MemoryGib"] = "80",
            ["Scheduler:Nodes:0:Gpus:1:Count"] = "2",
            ["Scheduler:Nodes:0:Gpus:1:MpsShares"] = "4",
            ["Scheduler:Nodes:0:Gpus:1:NvLinkGroup"] = "pair",
        });
        using var worker = host.Worker();
        using var admin = host.Admin();
        var node = (await Json(await admin.GetAsync("/api/pool"))).GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == "cfg-a100");
        Assert.Equal("config", node.GetProperty("source").GetString());
        var devices = node.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(3, devices.Count);
        Assert.Equal(3, devices[0].GetProperty("mig_slice_bytes").GetArrayLength());
        Assert.Equal(4, devices[1].GetProperty("mps_shares").GetInt32());
        Assert.Equal(devices[1].GetProperty("nv_link_group").GetString(), devices[2].GetProperty("nv_link_group").GetString());

        // 12 GiB fits neither the 8 GiB CPU nor a 10 GiB slice: it gets the 20 GiB slice, the tightest fit in the pool.
        using var placed = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/small", 12 * Gib));
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        Assert.Equal("cfg-a100/gpu0", Assert.Single((await Json(placed)).GetProperty("device_ids").EnumerateArray()).GetString());
        var placement = (await Json(await admin.GetAsync("/api/pool"))).GetProperty("placements").EnumerateArray().Single();
        Assert.Equal(20 * Gib, placement.GetProperty("bytes_per_device").GetInt64());
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.nodes WHERE id = 'cfg-a100' AND source = 'config'"));

        using var clash = await worker.PostAsJsonAsync("/api/pool/workers", new { node_id = "cfg-a100", nvidia_smi_csv = A100x4 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, clash.StatusCode);
        Assert.Contains("configured node", (await Json(clash)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_worker_mig_gpu_registers_as_slices_or_is_refused_with_the_reason()
    {
        await using var host = await StartAsync();
        using var worker = host.Worker();
        using var refused = await worker.PostAsJsonAsync("/api/pool/workers", new
        {
            node_id = "mig-node", gpus = new[] { new { index = 0, name = "NVIDIA H100 80GB HBM3", memory_total_bytes = 80 * Gib, mig_enabled = true } },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("MIG enabled but no MIG slices", (await Json(refused)).GetProperty("detail").GetString());

        using var sliced = await worker.PostAsJsonAsync("/api/pool/workers", new
        {
            node_id = "mig-node",
            gpus = new[] { new { index = 0, name = "NVIDIA H100 80GB HBM3", memory_total_bytes = 80 * Gib, mig_enabled = true, mig_slice_bytes = new[] { 10 * Gib, 10 * Gib, 20 * Gib, 40 * Gib }, mps_shares = 0 } },
        });
        Assert.Equal(HttpStatusCode.Created, sliced.StatusCode);
        using var placed = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/mig", 9 * Gib));
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        using var admin = host.Admin();
        var placement = (await Json(await admin.GetAsync("/api/pool"))).GetProperty("placements").EnumerateArray().Single();
        Assert.Equal("mig-node/gpu0", placement.GetProperty("device_ids")[0].GetString());
        Assert.Equal(10 * Gib, placement.GetProperty("bytes_per_device").GetInt64());
        using var tooBig = await worker.PostAsJsonAsync("/api/pool/allocations", Allocation("acme/mig-big", 50 * Gib));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooBig.StatusCode);
    }

    [Fact]
    public async Task An_impossible_configured_node_stops_the_start()
    {
        await stores.ResetAsync();
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow), new Dictionary<string, string?>
        {
            ["Scheduler:Nodes:0:Id"] = "cfg",
            ["Scheduler:Nodes:0:Gpus:0:Model"] = "A100-80GB",
            ["Scheduler:Nodes:0:Gpus:0:MemoryGib"] = "80",
            ["Scheduler:Nodes:0:Gpus:0:MigSliceGib:0"] = "96",
        });
        Assert.Contains("Scheduler:Nodes:0: worker 'cfg' GPU 0 lists a MIG slice outside", Messages(Assert.ThrowsAny<Exception>(() => host.Server)));
    }
}
