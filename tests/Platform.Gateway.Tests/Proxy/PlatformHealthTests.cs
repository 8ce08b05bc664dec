using System.Net.Http.Json;
using System.Text.Json;
using Platform.Gateway.Tests.Fixtures;
using Platform.LocalInfra;

namespace Platform.Gateway.Tests.Proxy;

[Collection(GatewayCollection.Name)]
public sealed class PlatformHealthTests(GatewayStores stores)
{
    [Fact]
    public async Task Api_health_reports_every_service_behind_the_gateway()
    {
        var closed = $"http://127.0.0.1:{Ports.GetFree()}";
        await using var gateway = new GatewayHost(stores, new Dictionary<string, string?> { ["Services:scheduler"] = closed });
        using var client = gateway.CreateClient();
        var health = await client.GetFromJsonAsync<JsonElement>("/api/health");
        var services = health.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("service").GetString()!, s => s.GetProperty("status").GetString());
        Assert.Equal("Healthy", services["inference"]);
        Assert.Equal("Healthy", services["rag"]);
        Assert.Equal("Unhealthy", services["scheduler"]);
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
    }
}
