extern alias inference;

using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Platform.LocalInfra;
using Platform.ServiceDefaults.Identity;
using Platform.TestKit;

namespace Platform.Scheduler.Tests.Serving;

/// <summary>
/// The real Inference host (services/Inference) serving stories260K-hf as "stories", with one running sequence at
/// a time so that concurrent requests queue, as tests/Platform.InferenceService.Tests hosts it.
/// </summary>
public sealed class InferenceUnderTest : WebApplicationFactory<inference::Program>
{
    public const string Model = "stories";

    /// <summary>The base URL the scheduler is configured with; requests to it go to this in-process host.</summary>
    public const string BaseUrl = "http://inference.test";

    private readonly string _modelsDir = Directory.CreateTempSubdirectory("sched-inference-models-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        builder.UseSetting("Platform:ModelsDir", _modelsDir);
        builder.UseSetting("Inference:Models:" + Model, Path.Combine(RepoLayout.Find().TestDataDir, "models", "stories260K-hf"));
        builder.UseSetting("Inference:AdaptersDir", _modelsDir);
        builder.UseSetting("Inference:KvCacheBytes", (4 * 1024 * 1024).ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Inference:MaxRunningSequences", "1");
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>A client signed as an enterprise tenant.</summary>
    public HttpClient Client(CallerIdentity? caller = null) =>
        CreateDefaultClient(SignedCaller.Wrap(caller ?? SignedCaller.Tenant(Guid.NewGuid())));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            try
            {
                Directory.Delete(_modelsDir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }
}
