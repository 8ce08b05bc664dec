using System.Runtime.InteropServices;
using System.Text;
using Platform.Scheduling;
using Platform.Scheduling.Workers;
using Platform.ServiceDefaults.Identity;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>./platform worker --scheduler URL [--node-id ID] [--interval 5s] [--nvidia-smi PATH]</c>: the GPU worker agent
/// (<see cref="GpuWorkerAgent"/>). It signs its calls with <c>Platform__InternalSecret</c> (or <c>PLATFORM_INTERNAL_SECRET</c>)
/// like the gateway, and stops on Ctrl+C or SIGTERM.
/// </summary>
public sealed class WorkerCommand : ICommand
{
    private const string Usage = "usage: ./platform worker --scheduler URL [--node-id ID] [--interval 5s] [--nvidia-smi PATH]\n" +
        "The signing secret comes from the environment: Platform__InternalSecret or PLATFORM_INTERNAL_SECRET.";

    /// <inheritdoc />
    public string Name => "worker";

    /// <inheritdoc />
    public string Summary => "GPU worker agent: report this node's GPUs (nvidia-smi) to the scheduler and heartbeat";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return 0;
        }
        var options = Options.Parse(args);
        if (!Uri.TryCreate(options.Require("scheduler").TrimEnd('/') + "/", UriKind.Absolute, out var scheduler) || scheduler.Scheme is not ("http" or "https"))
        {
            throw new CommandLineError("--scheduler must be an http(s) URL, e.g. http://scheduler:5095");
        }
        var secret = Environment.GetEnvironmentVariable("Platform__InternalSecret") is { Length: > 0 } s ? s
            : Environment.GetEnvironmentVariable("PLATFORM_INTERNAL_SECRET") is { Length: > 0 } t ? t
            : throw new CommandLineError("set Platform__InternalSecret (or PLATFORM_INTERNAL_SECRET) to the platform's internal secret");
        var nodeId = options.Get("node-id") ?? Environment.MachineName;
        if (nodeId.Length is 0 or > 200)
        {
            throw new CommandLineError("--node-id must be 1 to 200 characters");
        }
        GpuWorkerSettings settings;
        try
        {
            settings = new GpuWorkerSettings(nodeId, Intervals.Parse(options.Get("interval") ?? "5s"), options.Get("nvidia-smi") ?? "nvidia-smi");
        }
        catch (SchedulingInputException e)
        {
            throw new CommandLineError(e.Message);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // stop between calls instead of the runtime's immediate exit
            stop.Cancel();
        });
        using var http = new HttpClient(new SigningHandler(Encoding.UTF8.GetBytes(secret), nodeId) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = scheduler,
            Timeout = TimeSpan.FromSeconds(30),
        };
        await new GpuWorkerAgent(http, settings, TimeProvider.System, Console.Out).RunAsync(stop.Token);
        return 0;
    }

    // Signs each call as the gateway would, for the worker itself: no tenant, no scopes (the worker routes need none).
    private sealed class SigningHandler(byte[] secret, string nodeId) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var caller = new CallerIdentity(Guid.Empty, "internal", $"service:gpu-worker:{nodeId}", [], null, "batch", "");
            var headers = new Dictionary<string, string>();
            CallerHeaders.Write(headers, caller, request.Method.Method, request.RequestUri!.AbsolutePath, secret, DateTimeOffset.UtcNow);
            foreach (var (name, value) in headers)
            {
                request.Headers.Remove(name);
                request.Headers.TryAddWithoutValidation(name, value);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
