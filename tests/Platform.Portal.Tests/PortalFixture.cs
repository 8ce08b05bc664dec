extern alias finetune;
extern alias gateway;
extern alias inference;
extern alias ingestion;
extern alias portal;
extern alias rag;
extern alias scheduler;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Platform.Contracts;
using Platform.LocalInfra;
using Platform.TestKit;

namespace Platform.Portal.Tests;

/// <summary>
/// The real gateway and the real portal on Kestrel (free ports), on real PostgreSQL and Redis, a
/// tenant with an admin and a member, and headless Debian Chromium driven by Playwright. Ingestion,
/// Rag, Inference (serving stories260K-hf from ../shared/testdata) and FineTune (training LoRA adapters
/// of it, which Inference then serves) run on Kestrel too, behind the gateway, so the knowledge-base,
/// chat and fine-tuning pages call the real service APIs. One fixture serves the
/// whole test project (a collection): the hosts start once.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    private const string AdminToken = "portal-tests-admin-token-0123456789";
    public const string Password = "portal test password 1";

    private readonly PostgresFixture _postgres = new();
    private readonly RedisFixture _redis = new();
    private WebApplicationFactory<gateway::Program>? _gateway;
    private WebApplicationFactory<portal::Program>? _portal;
    private WebApplicationFactory<scheduler::Program>? _scheduler;
    private WebApplicationFactory<ingestion::Program>? _ingestion;
    private WebApplicationFactory<rag::Program>? _rag;
    private WebApplicationFactory<inference::Program>? _inference;
    private WebApplicationFactory<finetune::Program>? _finetune;
    private IPlaywright? _playwright;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "portal-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The model Inference serves: tiny, so its answers are nonsense, but they stream and carry sources.</summary>
    public const string Model = "stories260K-hf";

    /// <summary>Ingestion's upload limit here, small so that "too large" is cheap to show.</summary>
    public const long MaxUploadBytes = 64 * 1024;

    /// <summary>The fine-tuning service's (and the portal's) dataset limit here, small so that "too large" is cheap to show.</summary>
    public const long MaxDatasetBytes = 32 * 1024;

    /// <summary>Models folder shared by Inference, Rag and FineTune: a link to stories260K-hf and the adapters FineTune writes.</summary>
    public string ModelsDir => Path.Combine(_dataDir, "models");

    /// <summary>Redis of the platform (portal sessions live there).</summary>
    public string RedisConnectionString => _redis.ConnectionString;

    public string PortalUrl { get; private set; } = "";

    public string GatewayUrl { get; private set; } = "";

    /// <summary>An API key of the tenant (id, secret), made by the platform admin API.</summary>
    public CreatedApiKeyResponse ApiKey { get; private set; } = null!;

    public string AdminEmail { get; } = $"admin-{Guid.NewGuid():N}@example.com";

    public string MemberEmail { get; } = $"member-{Guid.NewGuid():N}@example.com";

    public string PlatformAdminEmail { get; } = $"operator-{Guid.NewGuid():N}@example.com";

    public string TenantName { get; } = "acme-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The tenant admin of a second tenant, whose objects the first tenant's people must not reach.</summary>
    public string OtherAdminEmail { get; } = $"other-admin-{Guid.NewGuid():N}@example.com";

    public IBrowser Browser { get; private set; } = null!;

    public string ScreenshotDir { get; } = Path.Combine(RepoLayout.Find().StateDir, "test-output", "screenshots");

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_postgres.InitializeAsync(), _redis.InitializeAsync());
        var schedulerPort = Ports.GetFree();
        _scheduler = new WebApplicationFactory<scheduler::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Scheduler:NodeId", "portal-test-node");
            b.UseSetting("Scheduler:DetectGpus", "false");
        });
        _scheduler.UseKestrel(o => o.Listen(IPAddress.Loopback, schedulerPort));
        _scheduler.StartServer();

        Directory.CreateDirectory(ModelsDir);
        Directory.CreateSymbolicLink(Path.Combine(ModelsDir, Model), Path.Combine(RepoLayout.Find().TestDataDir, "models", Model));
        var (ingestionUrl, ragUrl, inferenceUrl) = StartServices();
        var finetuneUrl = StartFineTune();

        var gatewayPort = Ports.GetFree();
        var portalPort = Ports.GetFree();
        _gateway = new WebApplicationFactory<gateway::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Gateway:AdminToken", AdminToken);
            b.UseSetting("Gateway:KeyHashSecret", "portal-tests-key-hash-secret-0123456789");
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Services:scheduler", $"http://127.0.0.1:{schedulerPort}");
            b.UseSetting("Services:inference", inferenceUrl);
            b.UseSetting("Services:ingestion", ingestionUrl);
            b.UseSetting("Services:rag", ragUrl);
            b.UseSetting("Services:finetune", finetuneUrl);
            // The portal behind the gateway too, with a TLS terminator on loopback as if in front of it
            // (SecureCookieTests send its X-Forwarded-Proto); the browser tests use the portal's own port.
            b.UseSetting("Services:portal", $"http://127.0.0.1:{portalPort}");
            b.UseSetting("Gateway:ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8");
        });
        _gateway.UseKestrel(o => o.Listen(IPAddress.Loopback, gatewayPort));
        _gateway.StartServer();

        _portal = new WebApplicationFactory<portal::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Services:gateway", $"http://127.0.0.1:{gatewayPort}");
            b.UseSetting("Platform:DataDir", _dataDir);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Portal:MaxDatasetBytes", MaxDatasetBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        _portal.UseKestrel(o => o.Listen(IPAddress.Loopback, portalPort));
        _portal.StartServer();
        PortalUrl = $"http://127.0.0.1:{portalPort}";

        GatewayUrl = $"http://127.0.0.1:{gatewayPort}";
        await SeedAsync(gatewayPort);

        if (!File.Exists("/usr/bin/chromium"))
        {
            throw new InvalidOperationException("Browser tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does this).");
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    private (string Ingestion, string Rag, string Inference) StartServices()
    {
        var ingestionUrl = $"http://127.0.0.1:{Ports.GetFree()}";
        _ingestion = new WebApplicationFactory<ingestion::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Platform:DataDir", Path.Combine(_dataDir, "ingestion"));
            b.UseSetting("Ingestion:PollInterval", "00:00:00.100");
            b.UseSetting("Ingestion:MaxUploadBytes", MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });
        _ingestion.UseKestrel(o => o.Listen(IPAddress.Loopback, new Uri(ingestionUrl).Port));
        _ingestion.StartServer();

        var inferenceUrl = $"http://127.0.0.1:{Ports.GetFree()}";
        _inference = new WebApplicationFactory<inference::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Platform:ModelsDir", ModelsDir);
            b.UseSetting("Platform:DataDir", Path.Combine(_dataDir, "inference"));
            b.UseSetting("Inference:KvCacheBytes", (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });
        _inference.UseKestrel(o => o.Listen(IPAddress.Loopback, new Uri(inferenceUrl).Port));
        _inference.StartServer();

        var ragUrl = $"http://127.0.0.1:{Ports.GetFree()}";
        _rag = new WebApplicationFactory<rag::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Services:ingestion", ingestionUrl + "/");
            b.UseSetting("Services:inference", inferenceUrl + "/");
            b.UseSetting("Platform:ModelsDir", ModelsDir);
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });
        _rag.UseKestrel(o => o.Listen(IPAddress.Loopback, new Uri(ragUrl).Port));
        _rag.StartServer();
        return (ingestionUrl, ragUrl, inferenceUrl);
    }

    private string StartFineTune()
    {
        var url = $"http://127.0.0.1:{Ports.GetFree()}";
        _finetune = new WebApplicationFactory<finetune::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Platform:ModelsDir", ModelsDir);
            b.UseSetting("Platform:DataDir", Path.Combine(_dataDir, "finetune"));
            b.UseSetting("FineTune:DefaultModel", Model);
            b.UseSetting("FineTune:MaxFileBytes", MaxDatasetBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.UseSetting("FineTune:Worker:PollIntervalMs", "100");
            b.UseSetting("FineTune:EvalEverySteps", "2");
            b.UseSetting("FineTune:CheckpointEverySteps", "4");
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });
        _finetune.UseKestrel(o => o.Listen(IPAddress.Loopback, new Uri(url).Port));
        _finetune.StartServer();
        return url;
    }

    private async Task SeedAsync(int gatewayPort)
    {
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var created = await admin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest(TenantName, Tiers.Enterprise, "enterprise"));
        created.EnsureSuccessStatusCode();
        var tenant = (await created.Content.ReadFromJsonAsync<TenantResponse>())!;
        foreach (var (email, role) in new[] { (AdminEmail, UserRoles.TenantAdmin), (MemberEmail, UserRoles.Member), (PlatformAdminEmail, UserRoles.PlatformAdmin) })
        {
            using var user = await admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users", new CreateUserRequest(email, Password, role));
            user.EnsureSuccessStatusCode();
        }
        using var other = await admin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest("other-" + Guid.NewGuid().ToString("N")[..8], Tiers.Enterprise, "enterprise"));
        other.EnsureSuccessStatusCode();
        var otherTenant = (await other.Content.ReadFromJsonAsync<TenantResponse>())!;
        using (var otherAdmin = await admin.PostAsJsonAsync($"/api/tenants/{otherTenant.Id}/users", new CreateUserRequest(OtherAdminEmail, Password, UserRoles.TenantAdmin)))
        {
            otherAdmin.EnsureSuccessStatusCode();
        }
        using var key = await admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/keys", new CreateApiKeyRequest("fixture key", [Scopes.Inference], null));
        key.EnsureSuccessStatusCode();
        ApiKey = (await key.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
    }

    /// <summary>A new tenant on <paramref name="plan"/> with a tenant admin (<see cref="Password"/>) and an inference key.</summary>
    public async Task<(string AdminEmail, CreatedApiKeyResponse Key)> SeedTenantAsync(string plan)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(GatewayUrl) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var created = await admin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest(plan + "-" + Guid.NewGuid().ToString("N")[..8], Tiers.Enterprise, plan));
        created.EnsureSuccessStatusCode();
        var tenant = (await created.Content.ReadFromJsonAsync<TenantResponse>())!;
        var email = $"{plan}-admin-{Guid.NewGuid():N}@example.com";
        using (var user = await admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users", new CreateUserRequest(email, Password, UserRoles.TenantAdmin)))
        {
            user.EnsureSuccessStatusCode();
        }
        using var key = await admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/keys", new CreateApiKeyRequest(plan + " key", [Scopes.Inference], null));
        key.EnsureSuccessStatusCode();
        return (email, (await key.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!);
    }

    /// <summary>A fresh browser context (its own cookies), signed in when <paramref name="email"/> is given.</summary>
    public async Task<IPage> NewPageAsync(string? email = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = PortalUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        if (email is not null)
        {
            await SignInAsync(page, email, Password);
            await page.WaitForURLAsync(PortalUrl + "/");
        }
        return page;
    }

    /// <summary>A client of the gateway signed in as <paramref name="email"/> through the portal-session API, as the portal itself calls it.</summary>
    public async Task<HttpClient> GatewayAsAsync(string email)
    {
        var http = new HttpClient { BaseAddress = new Uri(GatewayUrl) };
        using var login = await http.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, Password));
        login.EnsureSuccessStatusCode();
        var session = (await login.Content.ReadFromJsonAsync<LoginResponse>())!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        return http;
    }

    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true, Animations = ScreenshotAnimations.Disabled });

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }
        if (_portal is not null)
        {
            await _portal.DisposeAsync();
        }
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        foreach (var host in new IAsyncDisposable?[] { _scheduler, _rag, _finetune, _inference, _ingestion })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }
        await Task.WhenAll(_postgres.DisposeAsync(), _redis.DisposeAsync());
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}

/// <summary>All portal tests share one fixture: the hosts (and the model) start once.</summary>
[CollectionDefinition(nameof(PortalCollection))]
public sealed class PortalCollection : ICollectionFixture<PortalFixture>;
