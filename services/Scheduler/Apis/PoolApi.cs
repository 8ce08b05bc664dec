using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Scheduling;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workloads;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Scheduler.Pool;

namespace Platform.Services.Scheduler.Apis;

/// <summary>
/// /api/pool: the pool view (admin scope), and worker registration, heartbeats, allocation and
/// release for internal callers (any caller the gateway signed).
/// </summary>
public static class PoolApi
{
    /// <summary>Maps the routes.</summary>
    public static RouteGroupBuilder MapPoolApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/pool");
        api.MapGet("/", GetPool).RequireCaller("admin");
        api.MapPost("/workers", RegisterWorker).RequireCaller();
        api.MapPost("/workers/{nodeId}/heartbeat", Heartbeat).RequireCaller();
        api.MapPost("/allocations", Allocate).RequireCaller();
        api.MapGet("/allocations/{**workloadId}", GetAllocation).RequireCaller();
        api.MapDelete("/allocations/{**workloadId}", Release).RequireCaller();
        return api;
    }

    private static async Task<Ok<PoolSnapshot>> GetPool(PoolRuntime pool, CancellationToken cancellationToken) =>
        TypedResults.Ok(await pool.SnapshotAsync(cancellationToken));

    private static async Task<IResult> RegisterWorker(RegisterWorkerRequest body, PoolRuntime pool, HttpContext context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.NodeId) || body.NodeId.Length > 200)
        {
            return ErrorResults.For(context, 400, "invalid_request", "node_id is required (1 to 200 characters)", "node_id");
        }
        IReadOnlyList<GpuReport> gpus;
        try
        {
            gpus = body.NvidiaSmiCsv is { Length: > 0 } csv
                ? NvidiaSmiParser.Parse(csv)
                : body.Gpus?.Select(g => g.ToReport()).ToList()
                  ?? throw new SchedulingInputException("send nvidia_smi_csv or gpus");
            var problems = WorkerRegistration.Problems(body.NodeId, gpus);
            if (problems.Count > 0)
            {
                return ErrorResults.For(context, 422, "invalid_worker_report", string.Join("; ", problems));
            }
            var node = await pool.RegisterAsync(body.NodeId, gpus, body.NvlinkGroups, cancellationToken);
            return TypedResults.Created($"/api/pool/workers/{node.Id}", new NodeView(node.Id, "worker", "ready",
                node.Devices.Select(d => DeviceView.Of(d, 0, [])).ToList()));
        }
        catch (SchedulingInputException e)
        {
            return ErrorResults.For(context, 422, "invalid_worker_report", e.Message);
        }
    }

    private static async Task<IResult> Heartbeat(string nodeId, PoolRuntime pool, HttpContext context, CancellationToken cancellationToken) =>
        await pool.HeartbeatAsync(nodeId, cancellationToken)
            ? TypedResults.NoContent()
            : ErrorResults.For(context, 404, "unknown_node", $"node '{nodeId}' is not registered; register it first");

    private static async Task<IResult> Allocate(AllocateRequest body, PoolRuntime pool, HttpContext context, CancellationToken cancellationToken)
    {
        if (Validate(body, out var request) is { } problem)
        {
            return ErrorResults.For(context, 400, "invalid_request", problem.Message, problem.Field);
        }
        try
        {
            var lease = body.LeaseSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            return await pool.AllocateAsync(request!, cancellationToken, lease) switch
            {
                AllocationOutcome.Placed p => TypedResults.Created($"/api/pool/allocations/{request!.Id}",
                    new AllocationResponse(request.Id, "running", p.Workload.DeviceIds, p.Borrowing, null)),
                AllocationOutcome.Pending w => TypedResults.Accepted($"/api/pool/allocations/{request!.Id}",
                    new AllocationResponse(request.Id, "pending", [], false, w.Reason)),
                AllocationOutcome.Rejected r => ErrorResults.For(context, 422, "unschedulable", r.Reason),
                _ => throw new InvalidOperationException("unknown outcome"),
            };
        }
        catch (SchedulingInputException e)
        {
            return ErrorResults.For(context, 409, "conflict", e.Message);
        }
    }

    private static (string Field, string Message)? Validate(AllocateRequest body, out WorkloadRequest? request)
    {
        request = null;
        if (string.IsNullOrWhiteSpace(body.WorkloadId) || body.WorkloadId.Length > 200)
        {
            return ("workload_id", "workload_id is required (1 to 200 characters)");
        }
        if (body.WorkloadId.StartsWith("serving/", StringComparison.Ordinal))
        {
            return ("workload_id", "workload ids under serving/ are reserved for the inference replicas the scheduler runs itself");
        }
        if (body.TenantId is not { } tenant || tenant == Guid.Empty)
        {
            return ("tenant_id", "tenant_id is required");
        }
        if (body.Priority is null || !PriorityClassNames.TryParse(body.Priority, out var priority))
        {
            return ("priority", "priority must be enterprise-guaranteed, enterprise, consumer or batch");
        }
        if (!WorkloadKinds.TryParse(body.Kind, out var kind))
        {
            return ("kind", $"kind must be one of {string.Join(", ", WorkloadKinds.Names)}");
        }
        if (body.MemoryPerDeviceBytes is not > 0)
        {
            return ("memory_per_device_bytes", "memory_per_device_bytes must be positive");
        }
        if (body.DeviceCount is { } count && count is < 1 or > 64)
        {
            return ("device_count", "device_count must be 1 to 64");
        }
        if (body.CheckpointSeconds is < 0 || body.RestartSeconds is < 0)
        {
            return ("checkpoint_seconds", "checkpoint_seconds and restart_seconds cannot be negative");
        }
        if (body.LeaseSeconds is < 1 or > 86_400)
        {
            return ("lease_seconds", "lease_seconds must be 1 to 86400 (or left out for no lease)");
        }
        request = new WorkloadRequest(body.WorkloadId, tenant.ToString("D"), priority, kind, body.MemoryPerDeviceBytes.Value, body.DeviceCount ?? 1)
        {
            CheckpointSeconds = body.CheckpointSeconds ?? 0,
            RestartSeconds = body.RestartSeconds ?? 0,
        };
        return null;
    }

    // Reading an allocation renews its lease: a holder that polls its grant keeps it alive.
    private static async Task<IResult> GetAllocation(string workloadId, PoolRuntime pool, HttpContext context, CancellationToken cancellationToken) =>
        await pool.StatusAsync(workloadId, cancellationToken) is { } status
            ? TypedResults.Ok(status)
            : ErrorResults.For(context, 404, "not_found", $"no workload '{workloadId}'");

    private static async Task<IResult> Release(string workloadId, PoolRuntime pool, HttpContext context, CancellationToken cancellationToken) =>
        await pool.ReleaseAsync(workloadId, cancellationToken)
            ? TypedResults.NoContent()
            : ErrorResults.For(context, 404, "not_found", $"no workload '{workloadId}'");
}
