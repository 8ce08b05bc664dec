using Platform.Scheduling.Inventory;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Backends;

namespace Platform.Scheduler.Tests.Backends;

/// <summary>Builds bound placements the way the pool does (PoolState.Bind), for backend tests.</summary>
public sealed class Placements
{
    public const long Gib = 1L << 30;
    public const string Acme = "00000000-0000-0000-0000-00000000ac3e";
    public const string Research = "00000000-0000-0000-0000-0000000e5ea7";
    public const string Consumers = "00000000-0000-0000-0000-0000000c0a50";

    private readonly PoolState _state;
    private readonly DateTimeOffset _now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    public Placements(params GpuNode[] nodes) => _state = new PoolState(new PoolInventory(nodes));

    /// <summary>4 × A100-80GB on one NVLink group.</summary>
    public static GpuNode A100Node(string id) =>
        new(id, Enumerable.Range(0, 4).Select(i => new GpuDevice($"{id}/gpu{i}", id, "A100-SXM4-80GB", 80 * Gib, $"{id}/nvl0")).ToList());

    /// <summary>One A100-80GB split into MIG instances.</summary>
    public static GpuNode MigNode(string id) =>
        new(id, [new GpuDevice($"{id}/gpu0", id, "A100-SXM4-80GB", 80 * Gib, $"{id}/gpu0") { MigSliceBytes = [10 * Gib, 20 * Gib, 40 * Gib] }]);

    public DesiredWorkload Bind(string id, string tenant, PriorityClass priority, WorkloadKind kind, long bytesPerDevice, params string[] devices) =>
        Bind(new WorkloadRequest(id, tenant, priority, kind, bytesPerDevice, devices.Length), devices);

    public DesiredWorkload Bind(WorkloadRequest request, params string[] devices)
    {
        _state.Bind(request, devices, _now);
        return Desired(request.Id);
    }

    public DesiredWorkload Terminating(DesiredWorkload d)
    {
        _state.MarkTerminating(d.Id);
        return Desired(d.Id);
    }

    private DesiredWorkload Desired(string id)
    {
        var w = _state.Find(id)!;
        return new DesiredWorkload(w, w.DeviceIds.Select(_state.Inventory.Device).ToList(), Borrowing: false);
    }
}
