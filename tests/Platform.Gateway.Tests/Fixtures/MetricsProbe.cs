using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Platform.ServiceDefaults;

namespace Platform.Gateway.Tests.Fixtures;

/// <summary>
/// A real service host on a free loopback port with the platform's ServiceDefaults (so the same
/// OpenTelemetry Prometheus <c>/metrics</c> every service serves), plus one counter of its own that
/// only this host exports, with a label value that needs escaping.
/// </summary>
public sealed class MetricsProbe : IAsyncDisposable
{
    public const string MeterName = "Probe.Metrics";
    public const string ServiceName = "metrics-probe";
    public const string AwkwardPath = "a\"b\\c";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("probe.requests");
    private WebApplication? _app;

    public string Url { get; private set; } = "";

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults(ServiceName);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(MeterName));
        _app = builder.Build();
        _app.MapDefaultEndpoints();
        await _app.StartAsync();
        Url = _app.Urls.First();
        Requests.Add(3, new KeyValuePair<string, object?>("path", AwkwardPath));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
