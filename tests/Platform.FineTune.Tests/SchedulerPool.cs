extern alias scheduler;

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Services.FineTune.Pool;
using Platform.TestKit;

namespace Platform.FineTune.Tests;

/// <summary>
/// The real Scheduler host, in process, on the same PostgreSQL and Redis as the FineTune host: this host's
/// CPU is one pool device of <paramref name="deviceBytes"/>, scheduling cycles run every second on the
/// real clock, and <see cref="Acme"/> is guaranteed the whole device (so it may reclaim what others borrow).
/// </summary>
public sealed class SchedulerPool(FineTuneStores stores, long deviceBytes) : WebApplicationFactory<scheduler::Program>
{
    public static readonly Guid Acme = Guid.Parse("00000000-0000-0000-0000-00000000ac3e");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", stores.Postgres.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", stores.Redis.ConnectionString);
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        builder.UseSetting("Scheduler:NodeId", "finetune-test-host");
        builder.UseSetting("Scheduler:LocalMemoryBytes", deviceBytes.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Scheduler:DetectGpus", "false");
        builder.UseSetting("Scheduler:CycleSeconds", "1");
        builder.UseSetting("Scheduler:Quotas:0:TenantId", Acme.ToString());
        builder.UseSetting("Scheduler:Quotas:0:GuaranteedGib", (deviceBytes / (double)(1L << 30)).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Empties the scheduler's tables (if they exist yet), so the pool starts bare.</summary>
    public static async Task ResetAsync(FineTuneStores stores)
    {
        await using var connection = new NpgsqlConnection(stores.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "DO $$ BEGIN IF to_regclass('scheduler.nodes') IS NOT NULL THEN TRUNCATE scheduler.nodes, scheduler.devices, scheduler.placements; END IF; END $$",
            connection);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Starts a FineTune host whose grants come from this scheduler (its HttpClient reaches this in-process server).</summary>
    public FineTuneFactory FineTune(FineTuneStores stores, Dictionary<string, string> settings)
    {
        _ = Server;
        settings["FineTune:Pool:Mode"] = "scheduler";
        settings["FineTune:Pool:PollIntervalMs"] = "100";
        settings["Services:scheduler"] = "http://scheduler.test/";
        return new FineTuneFactory(stores, worker: true, settings, services => services.AddHttpClient<SchedulerClient>()
            .ConfigurePrimaryHttpMessageHandler(() => Server.CreateHandler()));
    }

    /// <summary>Acme's side of the pool API (an internal caller signed like the gateway).</summary>
    public HttpClient AcmeClient() => CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(Acme, "inference")));

    /// <summary>Asks for an enterprise inference replica of Acme: "running" or "pending".</summary>
    public static async Task<string> AllocateReplicaAsync(HttpClient acme, string id, long bytes)
    {
        using var response = await acme.PostAsJsonAsync("/api/pool/allocations", new
        {
            workload_id = id, tenant_id = Acme, priority = "enterprise", kind = "inference-replica", memory_per_device_bytes = bytes, device_count = 1,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("state").GetString()!;
    }

    /// <summary>The scheduler's state of a workload, or null when it does not know it.</summary>
    public static async Task<string?> StateAsync(HttpClient client, string workloadId)
    {
        using var response = await client.GetAsync("/api/pool/allocations/" + workloadId);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("state").GetString();
    }
}
