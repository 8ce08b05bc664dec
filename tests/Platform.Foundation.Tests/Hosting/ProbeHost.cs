using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Platform.ServiceDefaults;

namespace Platform.Foundation.Tests.Hosting;

/// <summary>
/// A host made of nothing but the service defaults and the two stores, so these tests check
/// ServiceDefaults itself rather than whatever a particular service adds on top.
/// </summary>
public sealed class ProbeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProbeHost(WebApplication app)
    {
        _app = app;
        Client = app.GetTestClient();
    }

    public HttpClient Client { get; }

    public static async Task<ProbeHost> StartAsync(string postgres, string redis)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Configuration["ConnectionStrings:Postgres"] = postgres;
        builder.Configuration["ConnectionStrings:Redis"] = redis;
        builder.AddServiceDefaults("probe");
        builder.AddPlatformDatabase("probe");
        builder.AddPlatformRedis();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPost("/echo", (EchoBody body) => TypedResults.Ok(body));
        app.MapGet("/boom", string () => throw new InvalidOperationException("secret internal detail"));
        await app.StartAsync();
        return new ProbeHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record EchoBody(string Text);
}
