using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Platform.Gateway.Tests.Fixtures;
using Platform.LocalInfra;
using Platform.Services.Gateway.Observability;

namespace Platform.Gateway.Tests.Observability;

/// <summary>/api/metrics on a real gateway host scraping a real service host over HTTP.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MetricsApiTests(GatewayStores stores) : IAsyncLifetime
{
    private readonly MetricsProbe _probe = new();
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);

    public async Task InitializeAsync()
    {
        await _probe.StartAsync();
        _silent.Start(); // accepts connections into its backlog and never answers
    }

    public async Task DisposeAsync()
    {
        _silent.Stop();
        await _probe.DisposeAsync();
    }

    private GatewayHost Gateway() => new(stores, new Dictionary<string, string?>
    {
        ["Services:inference"] = _probe.Url,
        ["Services:rag"] = $"http://127.0.0.1:{Ports.GetFree()}",
        ["Services:scheduler"] = $"http://127.0.0.1:{((IPEndPoint)_silent.LocalEndpoint).Port}",
        ["Gateway:Metrics:ScrapeTimeoutMs"] = "500",
    });

    [Fact]
    public async Task One_exposition_labels_samples_of_the_gateway_and_the_service_and_reports_down_services()
    {
        await using var gateway = Gateway();
        using var admin = gateway.Admin();
        using var response = await admin.GetAsync("/api/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.Single(p => p.Name == "version").Value);
        var text = await response.Content.ReadAsStringAsync();
        var lines = text.Split('\n');

        Assert.Contains(lines, l => l.StartsWith("target_info{service=\"gateway\",service_name=\"gateway\",", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"target_info{{service=\"inference\",service_name=\"{MetricsProbe.ServiceName}\",", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("probe_requests_total{service=\"inference\",", StringComparison.Ordinal)
            && l.Contains("path=\"a\\\"b\\\\c\"", StringComparison.Ordinal) && l.EndsWith(" 3", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("probe_requests_total{service=\"gateway\"", StringComparison.Ordinal));

        Assert.Contains("platform_scrape_up{service=\"gateway\"} 1", lines);
        Assert.Contains("platform_scrape_up{service=\"inference\"} 1", lines);
        Assert.Contains("platform_scrape_up{service=\"rag\"} 0", lines); // connection refused
        Assert.Contains("platform_scrape_up{service=\"scheduler\"} 0", lines); // no answer within the timeout
        Assert.Contains("platform_scrape_up{service=\"ingestion\"} 0", lines); // answers 404
        // The duration is reported as a number of seconds; its size depends on the machine, so only its form is checked.
        Assert.Contains(lines, l => l.StartsWith("platform_scrape_duration_seconds{service=\"scheduler\"} ", StringComparison.Ordinal)
            && double.TryParse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds >= 0);

        var families = ExpositionParser.Parse(text);
        Assert.Equal(families.Count, families.Select(f => f.Name).Distinct().Count());
        Assert.All(families.SelectMany(f => f.Samples), s => Assert.Equal("service", s.Labels[0].Key));
    }

    [Fact]
    public async Task Api_health_stays_public_but_names_no_internal_address()
    {
        await using var gateway = Gateway();
        using var anonymous = gateway.CreateClient();
        var raw = await anonymous.GetStringAsync("/api/health");
        Assert.DoesNotContain("127.0.0.1", raw, StringComparison.Ordinal);
        var services = JsonDocument.Parse(raw).RootElement.GetProperty("services").EnumerateArray()
            .ToDictionary(s => s.GetProperty("service").GetString()!, s => (Status: s.GetProperty("status").GetString(), Detail: s.GetProperty("detail").GetString()));
        Assert.Equal(("Unhealthy", "unreachable"), services["rag"]);
        Assert.Equal(("Unhealthy", "no answer within 2 s"), services["scheduler"]);
        Assert.Equal("Healthy", services["inference"].Status);
    }

    [Fact]
    public async Task Anonymous_callers_and_api_keys_get_401()
    {
        await using var gateway = Gateway();
        using var anonymous = gateway.CreateClient();
        using var wrong = gateway.WithKey("pk_live_0123456789abcdef_notarealsecret");
        foreach (var client in new[] { anonymous, wrong })
        {
            using var response = await client.GetAsync("/api/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
