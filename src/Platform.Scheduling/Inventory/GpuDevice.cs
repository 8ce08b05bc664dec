namespace Platform.Scheduling.Inventory;

/// <summary>
/// One schedulable device. <paramref name="NvLinkGroup"/> names the set of devices a gang may span
/// (all GPUs behind one NVSwitch, or an NVLink pair); a device without NVLink is its own group.
/// </summary>
/// <param name="Id">Unique device id, e.g. <c>node-0/gpu-3</c>.</param>
/// <param name="NodeId">Node that hosts the device.</param>
/// <param name="Model">GPU model, e.g. <c>A100-80GB</c>; <c>cpu</c> for the local CPU device.</param>
/// <param name="MemoryBytes">Usable device memory.</param>
/// <param name="NvLinkGroup">Gang-placement domain.</param>
public sealed record GpuDevice(string Id, string NodeId, string Model, long MemoryBytes, string NvLinkGroup)
{
    /// <summary>
    /// MIG instance sizes configured on the device, in bytes. When set, a workload gets the smallest
    /// slice that holds it and is charged that slice's size.
    /// </summary>
    public IReadOnlyList<long> MigSliceBytes { get; init; } = [];

    /// <summary>MPS client limit; 0 means no limit on how many workloads share the device.</summary>
    public int MpsShares { get; init; }
}
