using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Platform.Contracts;
using Platform.LocalInfra;

namespace Platform.Portal.Tests;

/// <summary>
/// The whole platform as a person starts it: the built CLI's <c>up --detach</c>, moved to a free block
/// of ports (<c>--port-base</c>) and a temporary state folder (<c>--state-dir</c>) so that it clashes
/// neither with a developer's <c>./platform up</c> nor with other test projects. <c>--no-build</c>,
/// because building this project built every host (it references them all, and the CLI) and
/// <c>./platform test</c> builds the solution first. The demo tenant's sign-in is read from what
/// <c>up</c> prints; a member is added through the gateway's admin API with the admin token the
/// launcher generated in the state folder. <c>down --state-dir</c> always runs at the end, and every
/// process <c>up</c> recorded must be gone afterwards.
/// </summary>
public sealed partial class LaunchedPlatformFixture : IAsyncLifetime
{
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(1);
    private readonly RepoLayout _checkout = RepoLayout.Find();
    private IReadOnlyList<RunningProcess> _started = [];
    private bool _upRan;
    private IPlaywright? _playwright;

    public LaunchedPlatformFixture() => Repo = _checkout.WithStateDir(Path.Combine(Path.GetTempPath(), "platform-up-e2e-" + Guid.NewGuid().ToString("N")[..12]));

    /// <summary>The checkout with the state folder given to <c>--state-dir</c>.</summary>
    public RepoLayout Repo { get; }

    public PlatformPorts Ports { get; private set; } = PlatformPorts.Default;

    /// <summary>Where people open the portal: the gateway, which routes every non-API path to it.</summary>
    public string PortalUrl => GatewayUrl;

    /// <summary>The portal's own port, which the browser never uses here.</summary>
    public string PortalDirectUrl => Ports.Service("portal").Url;

    public string GatewayUrl => Ports.Service("gateway").Url;

    /// <summary>What `up` printed, for failure messages.</summary>
    public string UpOutput { get; private set; } = "";

    public string AdminEmail { get; private set; } = "";

    public string AdminPassword { get; private set; } = "";

    public string MemberEmail { get; } = $"member-{Guid.NewGuid():N}@demo.local";

    public string MemberPassword { get; } = "e2e member password " + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The model `up` serves: the starter checkpoint it links into the models folder.</summary>
    public string Model { get; } = "stories260K";

    public IBrowser Browser { get; private set; } = null!;

    public string ScreenshotDir { get; } = Path.Combine(RepoLayout.Find().StateDir, "test-output", "screenshots", "platform-up");

    public async Task InitializeAsync()
    {
        try
        {
            await UpAsync();
            await WaitForModelThroughGatewayAsync();
            await CreateMemberAsync();
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            Directory.CreateDirectory(ScreenshotDir);
        }
        catch
        {
            // xUnit does not dispose a fixture whose start failed: stop what was started now.
            await DisposeAsync();
            throw;
        }
    }

    private async Task UpAsync()
    {
        if (!File.Exists("/usr/bin/chromium"))
        {
            throw new InvalidOperationException("Browser tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does this).");
        }
        // Another process may take a port between the check and `up`'s own preflight: try another block then.
        for (var attempt = 1; ; attempt++)
        {
            var portBase = FreePortBlock();
            _upRan = true;
            var (code, output) = await RunCliAsync(UpTimeout, "up", "--detach", "--no-build", "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--state-dir", Repo.StateDir);
            UpOutput = output;
            _started = RunState.Load(Repo)?.Processes ?? [];
            if (code == 0)
            {
                Ports = PlatformPorts.FromBase(portBase);
                break;
            }
            if (attempt < 3 && output.Contains("already in use", StringComparison.Ordinal) && _started.Count == 0)
            {
                continue;
            }
            throw new InvalidOperationException($"`platform up` exited with {code}; its processes' logs are kept in .platform/test-logs/platform-up-e2e/. Its output:\n{output}");
        }
        var signIn = SignInLine().Match(UpOutput);
        Assert.True(signIn.Success, $"`platform up` printed no demo sign-in:\n{UpOutput}");
        AdminEmail = signIn.Groups["email"].Value;
        AdminPassword = signIn.Groups["password"].Value;
        Assert.Contains($"Portal:     {GatewayUrl}  (served through the gateway; the portal itself listens on {PortalDirectUrl})", UpOutput);
    }

    /// <summary>Ready means the gateway routes to Inference and the starter model is listed there, with the demo key `up` printed.</summary>
    private async Task WaitForModelThroughGatewayAsync()
    {
        var key = DemoKeyLine().Match(UpOutput);
        Assert.True(key.Success, $"`platform up` printed no demo API key:\n{UpOutput}");
        using var http = new HttpClient { BaseAddress = new Uri(GatewayUrl), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Groups["key"].Value);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("/v1/models");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode && last.Contains($"\"{Model}\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{Model} was not listed by GET {GatewayUrl}/v1/models within 90 s; last answer: {last}");
    }

    private async Task CreateMemberAsync()
    {
        using var admin = new HttpClient { BaseAddress = new Uri(GatewayUrl) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LocalSecrets.LoadOrCreate(Repo).AdminToken);
        var tenants = await admin.GetFromJsonAsync<List<TenantResponse>>("/api/tenants");
        var demo = Assert.Single(tenants!, t => t.Name == "demo");
        using var created = await admin.PostAsJsonAsync($"/api/tenants/{demo.Id}/users", new CreateUserRequest(MemberEmail, MemberPassword, UserRoles.Member));
        Assert.True(created.IsSuccessStatusCode, $"creating the member: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
    }

    /// <summary>A fresh browser context (its own cookies) on the launched portal, through the gateway.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = PortalUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        return await context.NewPageAsync();
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true, Animations = ScreenshotAnimations.Disabled });

    /// <summary>A block of <see cref="PlatformPorts.BlockSize"/> free ports below Linux's ephemeral range (32768+), where tests' own free ports come from.</summary>
    private static int FreePortBlock()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var portBase = Random.Shared.Next(20_000, 32_000 - PlatformPorts.BlockSize);
            if (Enumerable.Range(portBase, PlatformPorts.BlockSize).All(LocalInfra.Ports.IsFree))
            {
                return portBase;
            }
        }
        throw new InvalidOperationException("No block of free ports between 20000 and 32000.");
    }

    /// <summary>Runs the built CLI as a person would (`dotnet artifacts/bin/Platform.Cli/debug/platform.dll ...` from the checkout).</summary>
    private async Task<(int ExitCode, string Output)> RunCliAsync(TimeSpan timeout, params string[] args)
    {
        var cli = Path.Combine(_checkout.Root, "artifacts", "bin", "Platform.Cli", "debug", "platform.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _checkout.Root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(cli);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // Embedded stores of its own, never a developer's database or Redis.
        psi.Environment.Remove("DATABASE_URL");
        psi.Environment.Remove("REDIS_URL");
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{Append(output, null)}\n(timed out after {timeout.TotalSeconds:F0} s)");
        }
        return (process.ExitCode, Append(output, null));
    }

    private static string Append(StringBuilder output, string? line)
    {
        lock (output)
        {
            if (line is not null)
            {
                output.AppendLine(line);
            }
            return output.ToString();
        }
    }

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
            _playwright = null;
        }
        if (!_upRan)
        {
            return;
        }
        _upRan = false;
        var started = RunState.Load(Repo)?.Processes ?? _started;
        var (code, output) = await RunCliAsync(DownTimeout, "down", "--state-dir", Repo.StateDir);
        var orphans = started.Where(p => ProcessSignals.IsAlive(p.Pid)).ToList();
        foreach (var orphan in orphans)
        {
            ProcessSignals.Kill(orphan.Pid);
        }
        KeepLogs();
        Assert.True(code == 0, $"`platform down` exited with {code}:\n{output}");
        Assert.True(orphans.Count == 0, $"`platform down` left {string.Join(", ", orphans.Select(o => $"{o.Name} ({o.Pid})"))} running (now killed).");
        Directory.Delete(Repo.StateDir, recursive: true);
    }

    /// <summary>
    /// For a failure's message: the portal's last calls to the gateway (when each started and how it ended) and
    /// every warning or error the launched services logged, so a CI log says which service stalled.
    /// </summary>
    public string LogDigest(int calls = 12)
    {
        var logs = Path.Combine(Repo.StateDir, "logs");
        if (!Directory.Exists(logs))
        {
            return "(no logs)";
        }
        var lines = new List<string>();
        foreach (var log in Directory.EnumerateFiles(logs, "*.log").Order(StringComparer.Ordinal))
        {
            var service = Path.GetFileNameWithoutExtension(log);
            var entries = ReadShared(log).Select(LogEntry.Parse).OfType<LogEntry>().ToList();
            if (service == "portal")
            {
                lines.AddRange(entries.Where(e => e.IsClientCall).TakeLast(calls).Select(e => $"{service} {e}"));
            }
            lines.AddRange(entries.Where(e => e.IsWarning).TakeLast(calls).Select(e => $"{service} {e}"));
        }
        return string.Join('\n', lines);
    }

    private static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    /// <summary>The launched processes' logs outlive the temporary state folder, for a failure's post-mortem.</summary>
    private void KeepLogs()
    {
        var logs = Path.Combine(Repo.StateDir, "logs");
        var kept = Path.Combine(_checkout.StateDir, "test-logs", "platform-up-e2e");
        if (!Directory.Exists(logs))
        {
            return;
        }
        Directory.CreateDirectory(kept);
        foreach (var log in Directory.EnumerateFiles(logs, "*.log"))
        {
            File.Copy(log, Path.Combine(kept, Path.GetFileName(log)), overwrite: true);
        }
    }

    [GeneratedRegex(@"sign in as (?<email>\S+) / (?<password>\S+)")]
    private static partial Regex SignInLine();

    [GeneratedRegex(@"Demo API key \(shown once\): (?<key>\S+)")]
    private static partial Regex DemoKeyLine();
}

/// <summary>
/// The launched platform runs alone, after the other collections: a second full platform beside the
/// in-process hosts of <see cref="PortalCollection"/> would starve both on a 2-core machine.
/// </summary>
[CollectionDefinition(nameof(LaunchedPlatformCollection), DisableParallelization = true)]
public sealed class LaunchedPlatformCollection : ICollectionFixture<LaunchedPlatformFixture>;
