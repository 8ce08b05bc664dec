using System.Net;
using System.Text.Json;
using Platform.LocalInfra;

namespace Platform.Foundation.Tests.Hosting;

[Collection(StoresCollection.Name)]
public sealed class ServiceDefaultsTests(StoresFixture stores)
{
    [Fact]
    public async Task Ready_checks_postgres_and_redis_and_is_200_when_both_answer()
    {
        await using var host = await ProbeHost.StartAsync(stores.Postgres.ConnectionString, stores.Redis.ConnectionString);
        var client = host.Client;
        using var response = await client.GetAsync("/health/ready");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_is_503_and_names_redis_when_redis_is_unreachable_while_live_stays_200()
    {
        var deadPort = Ports.GetFree();
        await using var host = await ProbeHost.StartAsync(stores.Postgres.ConnectionString, $"127.0.0.1:{deadPort},abortConnect=false,connectTimeout=500");
        var client = host.Client;
        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Version_names_the_service()
    {
        await using var host = await ProbeHost.StartAsync(stores.Postgres.ConnectionString, stores.Redis.ConnectionString);
        var client = host.Client;
        var body = JsonDocument.Parse(await client.GetStringAsync("/version")).RootElement;
        Assert.Equal("probe", body.GetProperty("service").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Metrics_are_exposed_in_prometheus_format()
    {
        await using var host = await ProbeHost.StartAsync(stores.Postgres.ConnectionString, stores.Redis.ConnectionString);
        var client = host.Client;
        await client.GetAsync("/version");
        await client.GetAsync("/version");
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE", text);
        Assert.Contains("http_server_request_duration_seconds", text);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_and_an_exception_a_500_problem_without_its_message()
    {
        await using var host = await ProbeHost.StartAsync(stores.Postgres.ConnectionString, stores.Redis.ConnectionString);
        using var bad = await host.Client.PostAsync("/echo", new StringContent("{nope", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);

        using var boom = await host.Client.GetAsync("/boom");
        Assert.Equal(HttpStatusCode.InternalServerError, boom.StatusCode);
        Assert.Equal("application/problem+json", boom.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("secret internal detail", await boom.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_routes_get_problem_details()
    {
        await using var host = await ProbeHost.StartAsync(stores.Postgres.ConnectionString, stores.Redis.ConnectionString);
        var client = host.Client;
        using var response = await client.GetAsync("/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(404, body.GetProperty("status").GetInt32());
    }
}
