using Platform.Scheduling.Workloads;

namespace Platform.FineTune.Pool;

/// <summary>
/// The device memory a LoRA job asks the pool for: the scheduler's own <see cref="MemoryEstimator.LoraFineTune"/>
/// with the engine's training set-up (F32 base weights, F32 adapter with gradient and two AdamW moments,
/// one example per micro-batch, no gradient checkpointing), so the grant and the scheduler's accounting agree.
/// </summary>
public static class LoraPoolEstimate
{
    private static readonly HashSet<string> MlpModules = new(StringComparer.Ordinal) { "gate_proj", "up_proj", "down_proj" };

    /// <summary>F32 weight, gradient and two AdamW moments per adapter value.</summary>
    public const int AdapterStateBytesPerParameter = 16;

    /// <summary>The estimate for <paramref name="model"/> at <paramref name="rank"/> on examples up to <paramref name="sequenceLength"/> tokens.</summary>
    /// <param name="model">The base model's shape.</param>
    /// <param name="rank">LoRA rank.</param>
    /// <param name="targetModules">Adapted projections; any MLP projection counts all three (the estimate rounds up).</param>
    /// <param name="sequenceLength">The longest example (or the model's context when unknown).</param>
    /// <param name="overheadBytes">Runtime overhead per device.</param>
    public static MemoryEstimate For(ModelSpec model, int rank, IEnumerable<string> targetModules, int sequenceLength,
        long overheadBytes = MemoryEstimator.DefaultRuntimeOverheadBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        return MemoryEstimator.LoraFineTune(model, DType.FP32, rank, batch: 1, sequenceLength,
            includeMlp: targetModules.Any(MlpModules.Contains), gradientCheckpointing: false,
            adapterStateBytesPerParameter: AdapterStateBytesPerParameter, overheadBytes: overheadBytes);
    }
}
