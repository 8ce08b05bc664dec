using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Scheduling.Inventory;

namespace Platform.Scheduling.Workers;

/// <summary>
/// The agent a GPU node runs (<c>./platform worker</c>): it reads the node's GPUs with nvidia-smi (the query
/// <see cref="NvidiaSmiParser"/> parses, and <c>topo -m</c> for NVLink groups), registers the node with the
/// scheduler's <c>POST /api/pool/workers</c>, then heartbeats every <see cref="GpuWorkerSettings.Interval"/>.
/// A heartbeat the scheduler answers 404 (it lost the node, e.g. a fresh database after a restart) registers
/// again; a scheduler that cannot be reached is retried on the next beat. Cancellation stops it between calls,
/// without deregistering: the scheduler drains the node when the heartbeats stop.
/// Unlike the rest of this library it does I/O; it lives here because the CLI and the tests share it.
/// </summary>
/// <param name="scheduler">A client whose base address is the scheduler and whose handler signs calls as the gateway does.</param>
/// <param name="settings">Node id, interval, nvidia-smi.</param>
/// <param name="time">Clock for the interval.</param>
/// <param name="log">Where progress and problems are written (never the signing secret).</param>
public sealed class GpuWorkerAgent(HttpClient scheduler, GpuWorkerSettings settings, TimeProvider time, TextWriter log)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Successful registrations so far (the first, and one after each time the scheduler lost the node).</summary>
    public int Registrations { get; private set; }

    /// <summary>Heartbeats the scheduler accepted.</summary>
    public int Heartbeats { get; private set; }

    /// <summary>Registers, then heartbeats until <paramref name="cancellationToken"/> is cancelled; returns normally on cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var registered = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                registered = registered ? await HeartbeatAsync(cancellationToken) : await RegisterAsync(cancellationToken);
                if (!registered)
                {
                    continue; // the scheduler lost the node: register again at once
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A node agent outlives any one failure (scheduler down, nvidia-smi hung, a refused report): log it and retry.
                await log.WriteLineAsync($"worker {settings.NodeId}: {e.Message}; trying again in {settings.Interval.TotalSeconds:0.###} s");
            }
            try
            {
                await Task.Delay(settings.Interval, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await log.WriteLineAsync($"worker {settings.NodeId}: stopped after {Heartbeats} heartbeat(s)");
    }

    /// <summary>Reads the GPUs and registers the node. Throws <see cref="SchedulingInputException"/> when nvidia-smi fails or the scheduler refuses the report (with its reason).</summary>
    public async Task<bool> RegisterAsync(CancellationToken cancellationToken)
    {
        var csv = await NvidiaSmi.RunAsync(settings.NvidiaSmiPath, NvidiaSmi.QueryArguments, settings.CommandTimeout, cancellationToken);
        var groups = await NvLinkGroupsAsync(cancellationToken);
        using var response = await scheduler.PostAsJsonAsync("api/pool/workers",
            new RegistrationBody(settings.NodeId, csv, groups), s_json, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SchedulingInputException($"the scheduler refused the registration ({(int)response.StatusCode}): {await DetailAsync(response, cancellationToken)}");
        }
        Registrations++;
        await log.WriteLineAsync($"worker {settings.NodeId}: registered {NvidiaSmiParser.Parse(csv).Count} GPU(s), NVLink groups [{string.Join("; ", groups.Select(g => string.Join(',', g)))}]");
        return true;
    }

    private async Task<bool> HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var response = await scheduler.PostAsync($"api/pool/workers/{Uri.EscapeDataString(settings.NodeId)}/heartbeat", null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            await log.WriteLineAsync($"worker {settings.NodeId}: the scheduler does not know this node (restarted?); registering again");
            return false;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"heartbeat answered {(int)response.StatusCode}: {await DetailAsync(response, cancellationToken)}");
        }
        Heartbeats++;
        return true;
    }

    // A node without NVLink, or an nvidia-smi without `topo`, registers with every GPU in its own group.
    private async Task<IReadOnlyList<IReadOnlyList<int>>> NvLinkGroupsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var matrix = await NvidiaSmi.RunAsync(settings.NvidiaSmiPath, NvidiaSmi.TopologyArguments, settings.CommandTimeout, cancellationToken);
            return NvidiaTopologyParser.Parse(matrix);
        }
        catch (SchedulingInputException e)
        {
            await log.WriteLineAsync($"worker {settings.NodeId}: no NVLink groups ({e.Message}); each GPU is its own group");
            return [];
        }
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body.Length > 500 ? body[..500] : body;
        }
    }

    private sealed record RegistrationBody(string NodeId, string NvidiaSmiCsv, IReadOnlyList<IReadOnlyList<int>> NvlinkGroups);
}
