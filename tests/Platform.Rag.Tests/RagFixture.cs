extern alias inference;
extern alias ingestion;
extern alias rag;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Platform.LocalInfra;
using Platform.TestKit;

namespace Platform.Rag.Tests;

/// <summary>
/// The real Ingestion and Inference hosts on Kestrel (free ports) and Rag hosts in process, on real PostgreSQL +
/// pgvector and Redis: one calling the real Inference service (which embeds queries and answers), one whose
/// Services:inference points at a closed port (the model service is down).
/// </summary>
public sealed class RagFixture : IAsyncLifetime
{
    private readonly PostgresFixture _postgres = new();
    private readonly RedisFixture _redis = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "rag-tests-" + Guid.NewGuid().ToString("N"));
    private WebApplicationFactory<ingestion::Program>? _ingestion;
    private WebApplicationFactory<rag::Program>? _rag;
    private WebApplicationFactory<inference::Program>? _inference;
    private WebApplicationFactory<rag::Program>? _ragWithModel;

    /// <summary>The model Inference serves (stories260K-hf, 512-token context, its own SentencePiece tokenizer).</summary>
    public const string Model = "stories260K-hf";

    public static string ModelsDir => Path.Combine(RepoLayout.Find().TestDataDir, "models");

    public Guid TenantA { get; } = Guid.NewGuid();

    public Guid TenantB { get; } = Guid.NewGuid();

    /// <summary>Tenant A's knowledge base with three documents.</summary>
    public Guid KbA { get; private set; }

    public Guid KbB { get; private set; }

    public Guid VolcanoDoc { get; private set; }

    public Guid BakingDoc { get; private set; }

    public string IngestionUrl { get; private set; } = "";

    public string InferenceUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_postgres.InitializeAsync(), _redis.InitializeAsync());
        var port = Ports.GetFree();
        _ingestion = new WebApplicationFactory<ingestion::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Platform:DataDir", _dataDir);
            b.UseSetting("Ingestion:PollInterval", "00:00:00.050");
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });
        _ingestion.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        _ingestion.StartServer();
        IngestionUrl = $"http://127.0.0.1:{port}/";
        _rag = CreateRag(IngestionUrl, $"http://127.0.0.1:{Ports.GetFree()}/");

        var inferencePort = Ports.GetFree();
        _inference = new WebApplicationFactory<inference::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Platform:ModelsDir", Path.Combine(_dataDir, "no-models"));
            b.UseSetting("Platform:DataDir", Path.Combine(_dataDir, "inference"));
            b.UseSetting("Inference:Models:" + Model, Path.Combine(ModelsDir, Model));
            b.UseSetting("Inference:KvCacheBytes", (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });
        _inference.UseKestrel(o => o.Listen(IPAddress.Loopback, inferencePort));
        _inference.StartServer();
        InferenceUrl = $"http://127.0.0.1:{inferencePort}/";
        _ragWithModel = CreateRag(IngestionUrl, InferenceUrl);

        using var a = IngestionClient(TenantA);
        KbA = await CreateKbAsync(a, "a-docs");
        VolcanoDoc = await UploadReadyAsync(a, KbA, "volcanoes.md", TestTexts.Volcanoes);
        BakingDoc = await UploadReadyAsync(a, KbA, "baking.md", TestTexts.Baking);
        await UploadReadyAsync(a, KbA, "rivers.md", TestTexts.Rivers);
        using var b = IngestionClient(TenantB);
        KbB = await CreateKbAsync(b, "b-secrets");
        await UploadReadyAsync(b, KbB, "project-zephyr.md", TestTexts.Secret);
    }

    /// <summary>A Rag host on the fixture's database, calling the given Ingestion and Inference URLs.</summary>
    public WebApplicationFactory<rag::Program> CreateRag(string ingestionUrl, string inferenceUrl) =>
        new WebApplicationFactory<rag::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Postgres", _postgres.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
            b.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
            b.UseSetting("Services:ingestion", ingestionUrl);
            b.UseSetting("Services:inference", inferenceUrl);
            // Explicit, so a Rag__QueryEmbedding environment variable (see EvalRetrievalSmokeTests) cannot change these hosts.
            b.UseSetting("Rag:QueryEmbedding", "inference");
            b.UseSetting("Rag:ConnectTimeout", "00:00:02");
            b.UseSetting("Platform:ModelsDir", ModelsDir);
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        });

    /// <summary>Rag with the real Inference service (query embeddings and answers), as a caller with these scopes (all when none).</summary>
    public HttpClient Rag(Guid tenant, params string[] scopes) => _ragWithModel!.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant, scopes)));

    /// <summary>Rag with the model service down: no query embeddings, no answers.</summary>
    public HttpClient RagWithoutInference(Guid tenant) => _rag!.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant)));

    /// <summary>Rag with the real Inference service serving <see cref="Model"/>.</summary>
    public HttpClient RagWithModel(Guid tenant) => _ragWithModel!.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant)));

    /// <summary>The Rag host's own Redis connection (for inspecting the LLM cache).</summary>
    public StackExchange.Redis.IConnectionMultiplexer Redis =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(_ragWithModel!.Services);

    public HttpClient IngestionFor(Guid tenant) => IngestionClient(tenant);

    /// <summary>
    /// Installs a PEFT adapter folder as <paramref name="tenant"/>'s own fine-tuned adapter of
    /// <see cref="Model"/> where the Inference host looks for it (Platform:ModelsDir/adapters/&lt;tenant&gt;/&lt;base&gt;:&lt;name&gt;/,
    /// as the fine-tune service writes it); served as <c>stories260K-hf:&lt;name&gt;</c> to that tenant only.
    /// </summary>
    public string InstallTenantAdapter(Guid tenant, string name, string adapterDir)
    {
        var target = Path.Combine(_dataDir, "no-models", "adapters", tenant.ToString("D"), $"{Model}:{name}");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(adapterDir))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
        return $"{Model}:{name}";
    }

    private HttpClient IngestionClient(Guid tenant) =>
        new(new SignedCaller(SignedCaller.Tenant(tenant), SignedCaller.TestSecret) { InnerHandler = new HttpClientHandler() })
        { BaseAddress = new Uri(IngestionUrl) };

    public static async Task<Guid> CreateKbAsync(HttpClient client, string name)
    {
        using var response = await client.PostAsJsonAsync("v1/knowledge-bases", new { name, chunk_tokens = 64, chunk_overlap = 8 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task<Guid> UploadReadyAsync(HttpClient client, Guid kb, string fileName, string text)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        using var response = await client.PostAsync($"v1/knowledge-bases/{kb}/documents", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var doc = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var status = (await client.GetFromJsonAsync<JsonElement>($"v1/knowledge-bases/{kb}/documents/{doc}")).GetProperty("status").GetString();
            if (status == "ready")
            {
                return doc;
            }
            Assert.NotEqual("failed", status);
            await Task.Delay(50);
        }
        throw new TimeoutException($"{fileName} was not ingested in 60 s");
    }

    public async Task DisposeAsync()
    {
        foreach (var host in new[] { _rag, _ragWithModel })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }
        if (_inference is not null)
        {
            await _inference.DisposeAsync();
        }
        if (_ingestion is not null)
        {
            await _ingestion.DisposeAsync();
        }
        await Task.WhenAll(_postgres.DisposeAsync(), _redis.DisposeAsync());
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}

[CollectionDefinition(nameof(RagCollection))]
public sealed class RagCollection : ICollectionFixture<RagFixture>;

public static class TestTexts
{
    public const string Volcanoes = """
        # Volcanoes

        A volcano is a rupture in the crust of a planet where lava, volcanic ash and gases escape from a magma chamber below the surface.
        Mount Etna in Sicily is one of the most active volcanoes in Europe and erupts basaltic lava almost every year.
        """;

    public const string Baking = """
        # Baking bread

        Sourdough bread rises because wild yeast and lactic acid bacteria in the starter ferment the flour and release carbon dioxide.
        Bake the loaf at 230 degrees Celsius in a covered pot for the first twenty minutes to keep the crust soft while it expands.
        """;

    public const string Rivers = """
        # Rivers

        The Danube flows through ten countries, more than any other river in the world, from the Black Forest to the Black Sea.
        """;

    public const string Secret = """
        # Project Zephyr

        Project Zephyr launches the quantum sourdough volcano on 14 March; the launch code is ZEPHYR-7731.
        """;
}
