using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.FineTune.Pool;
using Polly;

namespace Platform.Services.FineTune.Pool;

/// <summary>POST /api/pool/allocations: one fine-tune's memory request.</summary>
/// <remarks>The grant polls its allocation once a second, which renews the lease; a crashed worker's grant lapses after <see cref="LeaseSeconds"/>.</remarks>
public sealed record AllocationRequest(string WorkloadId, Guid TenantId, string Priority, string Kind, long MemoryPerDeviceBytes,
    int DeviceCount, double CheckpointSeconds, double RestartSeconds, int? LeaseSeconds = 30);

/// <summary>The scheduler's view of one workload: running, terminating (preempted), pending (with why), rejected, completed or failed.</summary>
public sealed record AllocationState(string WorkloadId, string State, IReadOnlyList<string> DeviceIds, string? Reason);

/// <summary>The scheduler answered something this client cannot act on, or could not be reached.</summary>
public sealed class SchedulerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The scheduler holds the workload id with other parameters (a stale placement of an earlier attempt).</summary>
public sealed class AllocationConflictException(string message) : Exception(message);

/// <summary>
/// The Scheduler's allocation API (<c>/api/pool/allocations</c>), typed, over a resilient HttpClient
/// (retries, timeouts, circuit breaker) signed by <see cref="SchedulerCallerHandler"/>. Allocation is
/// idempotent per workload id, so retrying a POST is safe.
/// </summary>
public sealed class SchedulerClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Asks for memory: running (placed), pending (queued, with the reason). Throws <see cref="GpuRequestRejectedException"/> when it can never fit.</summary>
    public async Task<AllocationState> AllocateAsync(AllocationRequest body, CancellationToken ct)
    {
        using var request = SchedulerCallerHandler.ForTenant(new HttpRequestMessage(HttpMethod.Post, "api/pool/allocations")
        {
            Content = JsonContent.Create(body, options: Json),
        }, body.TenantId);
        using var response = await SendAsync(request, ct);
        return response.StatusCode switch
        {
            HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Accepted => await ReadAsync(response, ct),
            HttpStatusCode.UnprocessableEntity => throw new GpuRequestRejectedException(await DetailAsync(response, ct)),
            HttpStatusCode.Conflict => throw new AllocationConflictException(await DetailAsync(response, ct)),
            _ => throw await UnexpectedAsync("POST", response, ct),
        };
    }

    /// <summary>The workload's state, or null when the scheduler does not know it.</summary>
    public async Task<AllocationState?> StatusAsync(Guid tenantId, string workloadId, CancellationToken ct)
    {
        using var request = SchedulerCallerHandler.ForTenant(new HttpRequestMessage(HttpMethod.Get, "api/pool/allocations/" + workloadId), tenantId);
        using var response = await SendAsync(request, ct);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => await ReadAsync(response, ct),
            HttpStatusCode.NotFound => null,
            _ => throw await UnexpectedAsync("GET", response, ct),
        };
    }

    /// <summary>Releases the placement or withdraws the pending request; false when the scheduler did not know it.</summary>
    public async Task<bool> ReleaseAsync(Guid tenantId, string workloadId, CancellationToken ct)
    {
        using var request = SchedulerCallerHandler.ForTenant(new HttpRequestMessage(HttpMethod.Delete, "api/pool/allocations/" + workloadId), tenantId);
        using var response = await SendAsync(request, ct);
        return response.StatusCode switch
        {
            HttpStatusCode.NoContent or HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await UnexpectedAsync("DELETE", response, ct),
        };
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, ct);
        }
        // Polly's timeout and open-circuit rejections, a refused connection, or a deadline that is not the caller's.
        catch (Exception e) when (e is HttpRequestException or ExecutionRejectedException
                                  || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new SchedulerUnavailableException($"The pool scheduler could not be reached ({e.Message}).", e);
        }
    }

    private static async Task<AllocationState> ReadAsync(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<AllocationState>(Json, ct)
        ?? throw new SchedulerUnavailableException("The pool scheduler answered with an empty body.");

    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } d ? d : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static async Task<Exception> UnexpectedAsync(string method, HttpResponseMessage response, CancellationToken ct) =>
        new SchedulerUnavailableException($"The pool scheduler answered {(int)response.StatusCode} to {method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {await DetailAsync(response, ct)}");
}
