using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults.Identity;
using Platform.TestKit;

namespace Platform.FineTune.Tests;

/// <summary>The real FineTune host, in process, on the fixture's stores and folders.</summary>
public sealed class FineTuneFactory(FineTuneStores stores, bool worker, IReadOnlyDictionary<string, string>? settings = null,
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", stores.Postgres.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", stores.Redis.ConnectionString);
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        builder.UseSetting("Platform:ModelsDir", stores.ModelsDir);
        builder.UseSetting("Platform:DataDir", stores.DataDir);
        builder.UseSetting("FineTune:DefaultModel", FineTuneStores.BaseModel);
        builder.UseSetting("FineTune:Worker:Enabled", worker ? "true" : "false");
        builder.UseSetting("FineTune:Worker:PollIntervalMs", "100");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A client signed as an API key of <paramref name="tenantId"/> with every scope.</summary>
    public HttpClient For(Guid tenantId) => CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenantId)));

    /// <summary>A client signed as a portal user of <paramref name="tenantId"/> with <paramref name="role"/>.</summary>
    public HttpClient ForUser(Guid tenantId, string role, params string[] scopes) => CreateDefaultClient(SignedCaller.Wrap(
        new CallerIdentity(tenantId, "enterprise", "user-" + role, scopes.Length == 0 ? ["finetune", "inference"] : scopes, role,
            "enterprise", "salt")));
}
