using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Tests;

internal static class TestPool
{
    public const long Gib = 1L << 30;

    public static readonly DateTimeOffset Now = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    public static WorkloadRequest Job(string id, string tenant, PriorityClass priority, double gib, int devices = 1,
        WorkloadKind kind = WorkloadKind.LoraFineTune, double checkpointSeconds = 30) =>
        new(id, tenant, priority, kind, (long)(gib * Gib), devices) { CheckpointSeconds = checkpointSeconds, RestartSeconds = 60 };

    /// <summary>Walks up from the test binaries to the folder holding Platform.sln, then to ../shared/testdata.</summary>
    public static string SharedTestData(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
            {
                return Path.GetFullPath(Path.Combine([dir.FullName, "..", "shared", "testdata", .. parts]));
            }
        }
        throw new DirectoryNotFoundException("Platform.sln not found above " + AppContext.BaseDirectory);
    }

    public static PoolInventory Pool(string spec) => PoolSpec.Parse(spec);
}
