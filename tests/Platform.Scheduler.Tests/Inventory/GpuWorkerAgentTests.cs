using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Platform.Scheduling.Workers;
using Platform.TestKit;

namespace Platform.Scheduler.Tests.Inventory;

/// <summary>The worker agent against the real Scheduler host, with a fake nvidia-smi printing the recorded output.</summary>
public sealed class GpuWorkerAgentTests(Stores stores) : IClassFixture<Stores>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Sends to whichever scheduler host runs now, so one agent outlives a scheduler restart.</summary>
    private sealed class CurrentHost : DelegatingHandler
    {
        public SchedulerHost? Host { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var invoker = new HttpMessageInvoker(Host!.Server.CreateHandler(), disposeHandler: false);
            return invoker.SendAsync(request, cancellationToken);
        }
    }

    private static HttpClient AgentClient(CurrentHost current)
    {
        var signed = SignedCaller.Wrap(SchedulerHost.Caller());
        signed.InnerHandler = current;
        return new HttpClient(signed) { BaseAddress = new Uri("http://scheduler/") };
    }

    private static async Task<JsonElement> NodeAsync(SchedulerHost host, string id)
    {
        using var admin = host.Admin();
        var pool = JsonDocument.Parse(await admin.GetStringAsync("/api/pool")).RootElement;
        return pool.GetProperty("nodes").EnumerateArray().SingleOrDefault(n => n.GetProperty("id").GetString() == id);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(20, cts.Token).ContinueWith(t => t.IsCanceled ? throw new TimeoutException($"waited {Patience.TotalSeconds} s for {what}") : t);
        }
    }

    [Fact]
    public async Task The_agent_registers_heartbeats_and_once_stopped_its_node_is_drained_after_the_timeout()
    {
        await stores.ResetAsync();
        using var smi = new FakeNvidiaSmi();
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var current = new CurrentHost { Host = host };
        using var client = AgentClient(current);
        using var log = new StringWriter();
        var agent = new GpuWorkerAgent(client, new GpuWorkerSettings("gpu-worker-1", TimeSpan.FromMilliseconds(100), smi.Path), TimeProvider.System, TextWriter.Synchronized(log));
        using var stop = new CancellationTokenSource();
        var running = agent.RunAsync(stop.Token);

        await WaitForAsync(() => agent.Heartbeats >= 2, "two heartbeats");
        var node = await NodeAsync(host, "gpu-worker-1");
        Assert.Equal("worker", node.GetProperty("source").GetString());
        Assert.Equal("ready", node.GetProperty("state").GetString());
        var devices = node.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(8, devices.Count);
        Assert.All(devices, d => Assert.Equal("H100 80GB HBM3", d.GetProperty("model").GetString()));
        Assert.Single(devices.Select(d => d.GetProperty("nv_link_group").GetString()).Distinct()); // from topo -m: one NVSwitch domain
        Assert.Contains("--query-gpu=" + Platform.Scheduling.Inventory.NvidiaSmiParser.QueryFields + " --format=csv", File.ReadAllLines(smi.CallsLog));

        // A heartbeat moves the node's clock: advance the scheduler's time and see the next beat land.
        host.Clock.Advance(TimeSpan.FromSeconds(20));
        var beats = agent.Heartbeats;
        await WaitForAsync(() => agent.Heartbeats > beats + 1, "a heartbeat after the clock moved");
        Assert.Equal(1, await stores.CountAsync($"SELECT count(*) FROM scheduler.nodes WHERE id = 'gpu-worker-1' AND last_heartbeat > '{host.Clock.GetUtcNow().AddSeconds(-1):O}'"));

        await stop.CancelAsync();
        await running.WaitAsync(Patience); // stops cleanly, without throwing
        Assert.Contains("stopped after", log.ToString());

        host.Clock.Advance(TimeSpan.FromSeconds(31)); // three 10 s intervals without a beat
        await host.Pool.CycleAsync(CancellationToken.None);
        Assert.Equal("drained", (await NodeAsync(host, "gpu-worker-1")).GetProperty("state").GetString());
        Assert.Equal(1, await stores.CountAsync("SELECT count(*) FROM scheduler.nodes WHERE id = 'gpu-worker-1' AND drained_at IS NOT NULL"));
    }

    [Fact]
    public async Task The_agent_registers_again_when_a_restarted_scheduler_has_lost_its_node()
    {
        await stores.ResetAsync();
        using var smi = new FakeNvidiaSmi();
        var first = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var current = new CurrentHost { Host = first };
        using var client = AgentClient(current);
        using var log = new StringWriter();
        var agent = new GpuWorkerAgent(client, new GpuWorkerSettings("gpu-worker-2", TimeSpan.FromMilliseconds(100), smi.Path), TimeProvider.System, TextWriter.Synchronized(log));
        using var stop = new CancellationTokenSource();
        var running = agent.RunAsync(stop.Token);
        await WaitForAsync(() => agent.Heartbeats >= 1, "a heartbeat");

        // The scheduler restarts on an empty database: the next heartbeat is answered 404 and the agent registers again.
        var second = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        await first.DisposeAsync();
        await stores.ResetAsync();
        _ = second.Server;
        current.Host = second;
        await WaitForAsync(() => agent.Registrations >= 2, "a second registration");
        Assert.Equal("ready", (await NodeAsync(second, "gpu-worker-2")).GetProperty("state").GetString());
        Assert.Contains("registering again", log.ToString());

        await stop.CancelAsync();
        await running.WaitAsync(Patience);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_report_is_logged_with_the_schedulers_reason_and_retried()
    {
        await stores.ResetAsync();
        using var smi = new FakeNvidiaSmi();
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(smi.Path)!, "gpus.csv"),
            "index, name, memory.total [MiB], memory.used [MiB]\n0, NVIDIA H100, 81559 MiB, 99999 MiB\n");
        await using var host = new SchedulerHost(stores, new FakeTimeProvider(DateTimeOffset.UtcNow));
        using var client = AgentClient(new CurrentHost { Host = host });
        using var log = new StringWriter();
        var synchronized = TextWriter.Synchronized(log);
        var agent = new GpuWorkerAgent(client, new GpuWorkerSettings("liar", TimeSpan.FromMilliseconds(100), smi.Path), TimeProvider.System, synchronized);
        using var stop = new CancellationTokenSource();
        var running = agent.RunAsync(stop.Token);
        await WaitForAsync(() => log.ToString().Split("refused the registration (422)").Length > 2, "two refusals");
        await stop.CancelAsync();
        await running.WaitAsync(Patience);
        Assert.Contains("memory.used", log.ToString());
        Assert.Equal(0, agent.Registrations);
        Assert.Equal(0, await stores.CountAsync("SELECT count(*) FROM scheduler.nodes WHERE id = 'liar'"));
    }
}
