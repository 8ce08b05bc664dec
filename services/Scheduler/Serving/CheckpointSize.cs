namespace Platform.Services.Scheduler.Serving;

/// <summary>Measures model checkpoints on disk, to size the replicas that load them.</summary>
public static class CheckpointSize
{
    private static readonly string[] s_weightPatterns = ["*.safetensors", "*.bin", "*.pth", "*.pt"];

    /// <summary>True when <paramref name="folder"/> is a Hugging Face checkpoint (it holds a config.json).</summary>
    public static bool IsCheckpoint(string folder) => File.Exists(Path.Combine(folder, "config.json"));

    /// <summary>Bytes of the weight files of a checkpoint folder (safetensors or PyTorch files, as stored).</summary>
    public static long WeightsBytes(string folder) =>
        s_weightPatterns.SelectMany(p => Directory.EnumerateFiles(folder, p, SearchOption.TopDirectoryOnly)).Distinct().Sum(f => new FileInfo(f).Length);

    /// <summary>The checkpoint folders directly under <paramref name="modelsDir"/> (what an Inference service loads from it).</summary>
    public static IReadOnlyList<string> Checkpoints(string? modelsDir) =>
        modelsDir is { Length: > 0 } && Directory.Exists(modelsDir)
            ? Directory.EnumerateDirectories(modelsDir).Where(IsCheckpoint).Order(StringComparer.Ordinal).ToList()
            : [];
}
