namespace Platform.Scheduling.Inventory;

/// <summary>A host and its devices.</summary>
public sealed record GpuNode(string Id, IReadOnlyList<GpuDevice> Devices);
