using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Platform.LocalInfra;
using Platform.ServiceDefaults.Identity;
using Platform.TestKit;

namespace Platform.InferenceService.Tests;

/// <summary>
/// The Inference host in process, serving stories260K-hf as "stories", LoRA adapters from a temp
/// folder and a random BERT encoder as the embedding model "bert-test".
/// </summary>
public sealed class InferenceHost : WebApplicationFactory<Program>
{
    public const string Model = "stories";
    public const int BodyLimit = 64 * 1024;

    /// <summary>The random BERT encoder served on /v1/embeddings (a folder of <see cref="ModelsDir"/>).</summary>
    public const string EmbeddingModel = "bert-test";

    public static string StoriesDir => Path.Combine(RepoLayout.Find().TestDataDir, "models", "stories260K-hf");

    public string AdaptersDir { get; } = Directory.CreateTempSubdirectory("inference-adapters-").FullName;

    /// <summary>Platform:ModelsDir: no checkpoints, only the fine-tune service's adapters/&lt;tenant&gt;/&lt;base&gt;:&lt;name&gt;/ folders.</summary>
    public string ModelsDir { get; } = Directory.CreateTempSubdirectory("inference-models-").FullName;

    /// <summary>The folder of <see cref="EmbeddingModel"/>.</summary>
    public string EmbeddingModelDir => Path.Combine(ModelsDir, EmbeddingModel);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        TestBert.Write(EmbeddingModelDir);
        builder.UseEnvironment("Development");
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        builder.UseSetting("Platform:ModelsDir", ModelsDir);
        builder.UseSetting("Inference:Models:" + Model, StoriesDir);
        builder.UseSetting("Inference:AdaptersDir", AdaptersDir);
        builder.UseSetting("Inference:MaxRequestBodyBytes", BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Inference:KvCacheBytes", (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>A client signed as an enterprise tenant with the inference scope (or <paramref name="caller"/>).</summary>
    public HttpClient Client(CallerIdentity? caller = null) =>
        CreateDefaultClient(SignedCaller.Wrap(caller ?? SignedCaller.Tenant(Guid.NewGuid())));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            try
            {
                Directory.Delete(AdaptersDir, recursive: true);
                Directory.Delete(ModelsDir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }
}

[CollectionDefinition(nameof(InferenceHostCollection))]
public sealed class InferenceHostCollection : ICollectionFixture<InferenceHost>;
