using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Backends.Local;
using static Platform.Scheduler.Tests.Backends.Placements;

namespace Platform.Scheduler.Tests.Backends;

/// <summary>The local backend with trivial processes (sh and sleep): no real service, no fixed port.</summary>
public sealed class LocalBackendTests : IAsyncLifetime
{
    private readonly string _logDir = Path.Combine(Path.GetTempPath(), "platform-scheduler-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private readonly List<LocalBackend> _backends = [];

    private static LocalCommand Sh(string script) => new() { FileName = "/bin/sh", Arguments = ["-c", script] };

    private LocalBackend Backend(Dictionary<string, LocalCommand> commands, double graceSeconds = 30, int maxRestarts = 3)
    {
        var backend = new LocalBackend(
            Options.Create(new LocalBackendOptions { Commands = commands, GraceSeconds = graceSeconds, MaxRestarts = maxRestarts, LogDir = _logDir }),
            Options.Create(new SchedulerOptions { NodeId = "host" }),
            new ConfigurationBuilder().Build(), _clock, NullLogger<LocalBackend>.Instance);
        _backends.Add(backend);
        return backend;
    }

    private static GpuNode Host() =>
        new("host", [.. PoolInventory.LocalCpuNode("host", 8 * Gib).Devices, .. A100Node("host").Devices]);

    /// <summary>Reconciles until <paramref name="done"/> holds (processes run in real time; no timing is asserted).</summary>
    private static async Task<List<ReconcileReport>> ReconcileUntilAsync(LocalBackend backend, IReadOnlyList<DesiredWorkload> desired, Func<ReconcileReport, bool> done)
    {
        var reports = new List<ReconcileReport>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var report = await backend.ReconcileAsync(desired, cts.Token);
            reports.Add(report);
            if (done(report))
            {
                return reports;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    private async Task<string> LogLineAsync(LocalBackend backend, string workloadId, string contains)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var path = backend.LogPath(workloadId);
            if (File.Exists(path))
            {
                var text = await File.ReadAllTextAsync(path, cts.Token);
                if (text.Split('\n').FirstOrDefault(l => l.Contains(contains, StringComparison.Ordinal)) is { } line)
                {
                    return line;
                }
            }
            await Task.Delay(50, cts.Token);
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int Pid(ReconcileReport report, string id) => int.Parse(report.Observed[id].Handle!["pid ".Length..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_placement_starts_with_cuda_visible_devices_and_a_free_port_and_a_release_stops_it()
    {
        var backend = Backend(new(StringComparer.OrdinalIgnoreCase)
        {
            ["full-fine-tune"] = Sh("echo \"env CUDA=$CUDA_VISIBLE_DEVICES id=$PLATFORM_WORKLOAD_ID port=$PORT urls=$ASPNETCORE_URLS arg={workload_id}\"; exec sleep 600"),
        });
        var pool = new Placements(Host(), A100Node("worker"));
        var gang = pool.Bind("research/ft-0", Research, PriorityClass.Batch, WorkloadKind.FullFineTune, 30 * Gib, "host/gpu1", "host/gpu3");
        var elsewhere = pool.Bind("research/ft-1", Research, PriorityClass.Batch, WorkloadKind.FullFineTune, 30 * Gib, "worker/gpu0");

        var first = await backend.ReconcileAsync([gang, elsewhere], CancellationToken.None);

        Assert.Equal("research/ft-0", Assert.Single(first.Started).WorkloadId); // the worker node's placement is the worker's
        var observed = first.Observed["research/ft-0"];
        Assert.Equal("running", observed.State);
        var port = new Uri(observed.Endpoint!).Port;
        var line = await LogLineAsync(backend, "research/ft-0", "env ");
        Assert.Equal($"env CUDA=1,3 id=research/ft-0 port={port} urls=http://127.0.0.1:{port} arg=research/ft-0", line);
        var pid = Pid(first, "research/ft-0");
        Assert.True(Alive(pid));

        // Released: no longer desired. SIGTERM ends sleep; the next passes forget it.
        await ReconcileUntilAsync(backend, [], r => r.Observed.Count == 0);
        Assert.False(Alive(pid));
    }

    [Fact]
    public async Task A_preempted_workload_gets_sigterm_and_checkpoints_before_it_is_reported_stopped()
    {
        var backend = Backend(new(StringComparer.OrdinalIgnoreCase)
        {
            ["lora-fine-tune"] = Sh("trap 'echo checkpointed; exit 0' TERM; echo ready; while :; do sleep 0.1; done"),
        });
        var pool = new Placements(Host());
        var lora = pool.Bind(new WorkloadRequest("research/lora-0", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, 4 * Gib) { CheckpointSeconds = 300 }, "host/cpu");
        await backend.ReconcileAsync([lora], CancellationToken.None);
        await LogLineAsync(backend, lora.Id, "ready");

        var victim = pool.Terminating(lora);
        var reports = await ReconcileUntilAsync(backend, [victim], r => r.Stopped.Contains(lora.Id));

        Assert.Equal("stopping", reports[0].Observed[lora.Id].State);
        await LogLineAsync(backend, lora.Id, "checkpointed");
        Assert.DoesNotContain(reports, r => r.Failed.Count > 0 || r.Completed.Count > 0);
    }

    [Fact]
    public async Task A_workload_that_ignores_sigterm_is_killed_when_its_grace_period_is_over_on_the_clock()
    {
        var backend = Backend(new(StringComparer.OrdinalIgnoreCase)
        {
            ["inference-replica"] = Sh("trap '' TERM; echo ready; while :; do sleep 0.1; done"),
        }, graceSeconds: 20);
        var pool = new Placements(Host());
        var replica = pool.Bind("consumers/replica-0", Consumers, PriorityClass.Consumer, WorkloadKind.InferenceReplica, 2 * Gib, "host/cpu");
        var started = await backend.ReconcileAsync([replica], CancellationToken.None);
        var pid = Pid(started, replica.Id);
        await LogLineAsync(backend, replica.Id, "ready");

        var victim = pool.Terminating(replica);
        await backend.ReconcileAsync([victim], CancellationToken.None); // SIGTERM
        await Task.Delay(300);
        var stillThere = await backend.ReconcileAsync([victim], CancellationToken.None);
        Assert.Empty(stillThere.Stopped);
        Assert.True(Alive(pid));

        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.True(Alive(pid));
        _clock.Advance(TimeSpan.FromSeconds(1)); // grace over: killed
        await ReconcileUntilAsync(backend, [victim], r => r.Stopped.Contains(replica.Id));
        Assert.False(Alive(pid));
    }

    [Fact]
    public async Task A_crashing_workload_is_restarted_up_to_the_limit_then_reported_failed()
    {
        var backend = Backend(new(StringComparer.OrdinalIgnoreCase) { ["inference-replica"] = Sh("exit 3") }, maxRestarts: 2);
        var pool = new Placements(Host());
        var replica = pool.Bind("consumers/replica-1", Consumers, PriorityClass.Consumer, WorkloadKind.InferenceReplica, 2 * Gib, "host/cpu");

        var reports = await ReconcileUntilAsync(backend, [replica], r => r.Failed.Count > 0);

        Assert.Equal(3, reports.SelectMany(r => r.Started).Count()); // the first start and two restarts, each a new pid
        Assert.Equal(2, reports.SelectMany(r => r.Restarted).Count());
        Assert.All(reports.SelectMany(r => r.Restarted), n => Assert.StartsWith("exit code 3", n.Note));
        Assert.Contains("crashed 3 time(s); last exit code 3", Assert.Single(reports[^1].Failed).Note);
        Assert.Empty(reports[^1].Observed);
    }

    [Fact]
    public async Task A_fine_tune_that_exits_0_is_completed_and_a_replica_that_exits_0_is_restarted()
    {
        var backend = Backend(new(StringComparer.OrdinalIgnoreCase) { ["lora-fine-tune"] = Sh("exit 0"), ["inference-replica"] = Sh("exit 0") });
        var pool = new Placements(Host());
        var lora = pool.Bind("research/lora-done", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, Gib, "host/cpu");
        var replica = pool.Bind("consumers/replica-2", Consumers, PriorityClass.Consumer, WorkloadKind.InferenceReplica, Gib, "host/cpu");

        var reports = await ReconcileUntilAsync(backend, [lora, replica], r => r.Completed.Count > 0);
        Assert.Equal("research/lora-done", Assert.Single(reports.SelectMany(r => r.Completed)).WorkloadId);
        var restarts = await ReconcileUntilAsync(backend, [replica], r => r.Restarted.Count > 0);
        Assert.Equal("consumers/replica-2", restarts[^1].Restarted[0].WorkloadId);
    }

    [Fact]
    public async Task A_kind_without_a_command_or_an_executable_that_does_not_exist_fails_with_the_reason()
    {
        var backend = Backend(new(StringComparer.OrdinalIgnoreCase) { ["inference-replica"] = new() { FileName = "/nonexistent/platform-replica" } });
        var pool = new Placements(Host());
        var lora = pool.Bind("research/lora-x", Research, PriorityClass.Batch, WorkloadKind.LoraFineTune, Gib, "host/cpu");
        var replica = pool.Bind("consumers/replica-x", Consumers, PriorityClass.Consumer, WorkloadKind.InferenceReplica, Gib, "host/cpu");

        var report = await backend.ReconcileAsync([lora, replica], CancellationToken.None);

        Assert.Contains("Scheduler:Local:Commands:lora-fine-tune", report.Failed.Single(n => n.WorkloadId == lora.Id).Note);
        Assert.Contains("cannot start '/nonexistent/platform-replica'", report.Failed.Single(n => n.WorkloadId == replica.Id).Note);
        Assert.Empty(report.Started);
    }

    [Fact]
    public void Commands_with_unknown_placeholders_are_refused_and_cpu_placements_hide_every_gpu()
    {
        var problems = CommandTemplate.Problems("inference-replica", new LocalCommand { FileName = "dotnet", Arguments = ["--urls", "http://127.0.0.1:{prot}"] }).ToList();
        Assert.Contains("{prot}", Assert.Single(problems));
        Assert.Empty(CommandTemplate.Problems("inference-replica", new LocalCommand { FileName = "dotnet", Arguments = ["--port", "{port}", "{workload_id}"] }));
        Assert.Equal("", CudaDevices.VisibleDevices(PoolInventory.LocalCpuNode("h", Gib).Devices));
        Assert.Equal("2,0", CudaDevices.VisibleDevices([A100Node("h").Devices[2], A100Node("h").Devices[0]]));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
        if (Directory.Exists(_logDir))
        {
            Directory.Delete(_logDir, recursive: true);
        }
    }
}
