using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Platform.LocalInfra;

namespace Platform.Foundation.Tests.Launcher;

/// <summary>
/// The built CLI (`dotnet artifacts/bin/Platform.Cli/debug/platform.dll`) with `--state-dir` and
/// `--port-base`: what `status`, `down` and `up`'s checks do before anything is built or started.
/// The whole `up` → portal → `down` path runs in Platform.Portal.Tests (LaunchedPlatformFixture).
/// </summary>
public sealed class LauncherCommandTests : IDisposable
{
    private readonly RepoLayout _checkout = RepoLayout.Find();
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "launcher-test-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Status_with_a_port_base_checks_the_moved_ports()
    {
        var portBase = FreeBlock();
        var (code, output) = await RunCliAsync("status", "--json", "--state-dir", _stateDir, "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, code);
        var entries = JsonDocument.Parse(output).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e);
        Assert.Equal($"http://127.0.0.1:{portBase}", entries["gateway"].GetProperty("url").GetString());
        Assert.Equal($"postgresql://127.0.0.1:{portBase + 16}", entries["postgres"].GetProperty("url").GetString());
        Assert.All(entries.Values, e => Assert.False(e.GetProperty("healthy").GetBoolean()));
    }

    [Fact]
    public async Task Status_of_a_state_dir_uses_the_port_base_its_up_recorded()
    {
        var portBase = FreeBlock();
        var repo = _checkout.WithStateDir(_stateDir);
        new RunState([], "", portBase + 16, portBase + 17, DateTimeOffset.UtcNow, portBase).Save(repo);
        var (_, output) = await RunCliAsync("status", "--state-dir", _stateDir);
        Assert.Contains($"http://127.0.0.1:{portBase + 1}", output);
        Assert.DoesNotContain("http://127.0.0.1:5080", output);
    }

    [Fact]
    public async Task Down_with_a_state_dir_stops_exactly_the_processes_recorded_there()
    {
        var recorded = StartSleeper();
        var other = StartSleeper();
        try
        {
            new RunState([new RunningProcess("gateway", recorded)], "", null, null, DateTimeOffset.UtcNow, 21000).Save(_checkout.WithStateDir(_stateDir));
            var (code, output) = await RunCliAsync("down", "--state-dir", _stateDir);
            Assert.Equal(0, code);
            Assert.Contains("Stopped 1 processes.", output);
            Assert.False(ProcessSignals.IsAlive(recorded));
            Assert.True(ProcessSignals.IsAlive(other));
            Assert.False(File.Exists(RunState.PathIn(_checkout.WithStateDir(_stateDir))));

            (code, output) = await RunCliAsync("down", "--state-dir", _stateDir);
            Assert.Equal(0, code);
            Assert.Contains("The platform is not running.", output);
        }
        finally
        {
            ProcessSignals.Kill(recorded);
            ProcessSignals.Kill(other);
        }
    }

    [Fact]
    public async Task Up_refuses_a_port_base_out_of_range_before_starting_anything()
    {
        var (code, output) = await RunCliAsync("up", "--detach", "--port-base", "80", "--state-dir", _stateDir);
        Assert.Equal(2, code);
        Assert.Contains("platform up: --port-base must be between 1024 and 65516", output);
        Assert.False(Directory.Exists(_stateDir));
    }

    [Fact]
    public async Task Up_names_the_moved_port_that_is_taken_before_building()
    {
        var portBase = FreeBlock();
        using var squatter = new TcpListener(IPAddress.Loopback, portBase + 17);
        squatter.Start();
        var (code, output) = await RunCliAsync("up", "--detach", "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--state-dir", _stateDir);
        Assert.Equal(2, code);
        Assert.Contains($"port {portBase + 17} (for the embedded Redis) is already in use", output);
        Assert.DoesNotContain("Building", output);
        Assert.False(File.Exists(RunState.PathIn(_checkout.WithStateDir(_stateDir))));
    }

    /// <summary>A free block of ports below the ephemeral range, so nothing answers there by chance.</summary>
    private static int FreeBlock()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var portBase = Random.Shared.Next(20_000, 32_000 - PlatformPorts.BlockSize);
            if (Enumerable.Range(portBase, PlatformPorts.BlockSize).All(Ports.IsFree))
            {
                return portBase;
            }
        }
        throw new InvalidOperationException("No block of free ports between 20000 and 32000.");
    }

    /// <summary>A `sleep` whose parent exits at once, so it is re-parented (and reaped) like a detached service.</summary>
    private static int StartSleeper()
    {
        var psi = new ProcessStartInfo("sh", ["-c", "sleep 300 >/dev/null 2>&1 </dev/null & echo $!"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var sh = Process.Start(psi)!;
        var pid = int.Parse(sh.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        sh.WaitForExit();
        return pid;
    }

    private async Task<(int ExitCode, string Output)> RunCliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _checkout.Root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(_checkout.Root, "artifacts", "bin", "Platform.Cli", "debug", "platform.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment.Remove("DATABASE_URL");
        psi.Environment.Remove("REDIS_URL");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        if (Directory.Exists(_stateDir))
        {
            Directory.Delete(_stateDir, recursive: true);
        }
    }
}
