using System.Security.Cryptography;
using Platform.LocalInfra;
using Platform.ServiceDefaults.Identity;

namespace Platform.Cli.Commands;

/// <summary>Scratch PGlite + Redis and the built Ingestion and Rag hosts on free ports, for eval-retrieval.</summary>
public sealed class EvalRetrievalStack : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _parts = [];
    private readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    private readonly string _dataDir = Directory.CreateTempSubdirectory("eval-retrieval-").FullName;

    public string IngestionUrl { get; private set; } = "";

    public string RagUrl { get; private set; } = "";

    public static async Task<EvalRetrievalStack> StartAsync(RepoLayout repo, Action<string> progress, CancellationToken ct)
    {
        var stack = new EvalRetrievalStack();
        try
        {
            var logs = Path.Combine(repo.StateDir, "eval-logs");
            var postgres = await EmbeddedPostgres.StartAsync(repo, Ports.GetFree(), dataDir: null, logPath: Path.Combine(logs, "pglite.log"), exitWithParent: true);
            stack._parts.Add(postgres);
            var redis = await EmbeddedRedis.StartAsync(repo, Ports.GetFree(), Path.Combine(logs, "redis.log"), exitWithParent: true);
            stack._parts.Add(redis);
            progress($"scratch PostgreSQL on {postgres.Port}, Redis on {redis.Port}");
            var ingestionPort = Ports.GetFree();
            var ragPort = Ports.GetFree();
            stack.IngestionUrl = $"http://127.0.0.1:{ingestionPort}/";
            stack.RagUrl = $"http://127.0.0.1:{ragPort}/";
            var shared = new Dictionary<string, string?>
            {
                ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
                ["ConnectionStrings__Redis"] = redis.ConnectionString,
                ["Platform__InternalSecret"] = stack._secret,
                ["Services__ingestion"] = stack.IngestionUrl,
                ["Services__inference"] = "http://127.0.0.1:9/", // retrieval only: no answers are generated
                // No Inference service, so Ingestion embeds the queries (the same vectors as the Kernel's, docs/rag.md).
                ["Rag__QueryEmbedding"] = "ingestion",
                ["DOTNET_NOLOGO"] = "1",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            foreach (var (name, assembly, port) in new[] { ("ingestion", "Platform.Services.Ingestion", ingestionPort), ("rag", "Platform.Services.Rag", ragPort) })
            {
                var dll = Path.Combine(repo.Root, "artifacts", "bin", assembly, "debug", assembly + ".dll");
                if (!File.Exists(dll))
                {
                    throw new CommandLineError($"{dll} is missing: build it first (dotnet build services/Ingestion services/Rag)");
                }
                var env = new Dictionary<string, string?>(shared)
                {
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                    ["Platform__DataDir"] = Path.Combine(stack._dataDir, name),
                };
                var child = ChildProcess.Start(name, "dotnet", [dll], repo.Root, Path.Combine(logs, name + ".log"), env, keepStdinOpen: true);
                stack._parts.Add(child);
                await WaitHealthyAsync(child, port, ct);
            }
            progress("ingestion and rag are up");
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitHealthyAsync(ChildProcess child, int port, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"{child.Name} exited: {child.RecentOutput}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/health/ready", ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250, ct);
        }
        throw new InvalidOperationException($"{child.Name} did not become healthy in 2 minutes: {child.RecentOutput}");
    }

    /// <summary>A client that signs every request as <paramref name="tenant"/> with the rag and ingest scopes.</summary>
    public HttpClient Client(string baseUrl, Guid tenant) =>
        new(new Signer(new CallerIdentity(tenant, "enterprise", "eval-retrieval", ["rag", "ingest"], null, "batch", "eval-" + tenant.ToString("N")),
            System.Text.Encoding.UTF8.GetBytes(_secret)) { InnerHandler = new HttpClientHandler() })
        { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(2) };

    public async ValueTask DisposeAsync()
    {
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            await _parts[i].DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a scratch folder under /tmp
        }
    }

    private sealed class Signer(CallerIdentity caller, byte[] secret) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var headers = new Dictionary<string, string>();
            CallerHeaders.Write(headers, caller, request.Method.Method, request.RequestUri!.AbsolutePath, secret, DateTimeOffset.UtcNow);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            return base.SendAsync(request, ct);
        }
    }
}
