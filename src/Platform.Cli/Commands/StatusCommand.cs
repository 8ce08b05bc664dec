using System.Text.Json;
using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>
/// `./platform status [--json] [--state-dir DIR] [--port-base N]`: health of every service and store
/// of the platform started with that state folder (on the ports it recorded), or on the ports given.
/// </summary>
public sealed class StatusCommand : ICommand
{
    public string Name => "status";

    public string Summary => "health of every service and store (--json for [{name,url,healthy}]; --state-dir DIR, --port-base N)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json");
        var repo = LaunchTarget.Repo(options);
        var state = RunState.Load(repo);
        var ports = LaunchTarget.Ports(options, state);
        var postgresPort = state?.PostgresPort ?? ports.Postgres;
        var redisPort = state?.RedisPort ?? ports.Redis;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var checks = new List<Task<Entry>>
        {
            Task.Run(async () => new Entry("postgres", $"postgresql://127.0.0.1:{postgresPort}", await Ports.AcceptsAsync(postgresPort, cancellationToken)), cancellationToken),
            Task.Run(async () => new Entry("redis", $"redis://127.0.0.1:{redisPort}", await EmbeddedRedis.PingAsync(redisPort, cancellationToken)), cancellationToken),
        };
        checks.AddRange(ports.Services.Select(s => ServiceEntryAsync(http, s, cancellationToken)));
        var entries = await Task.WhenAll(checks);

        if (options.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(entries, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        }
        else
        {
            foreach (var e in entries)
            {
                Console.WriteLine($"{e.Name,-10} {(e.Healthy ? "healthy" : "DOWN"),-8} {e.Url}");
            }
        }
        return entries.All(e => e.Healthy) ? 0 : 1;
    }

    private static async Task<Entry> ServiceEntryAsync(HttpClient http, ServiceSpec service, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(service.Url + "/health/ready", cancellationToken);
            return new Entry(service.Name, service.Url, response.IsSuccessStatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Entry(service.Name, service.Url, false);
        }
    }

    private sealed record Entry(string Name, string Url, bool Healthy);
}
