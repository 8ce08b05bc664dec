namespace Platform.Scheduling.Workloads;

/// <summary>
/// Closed-form GPU memory estimates for the workload kinds the pool runs. Each formula follows a
/// published accounting (see docs/scheduling.md) and is unit-tested against the published figure.
/// </summary>
public static class MemoryEstimator
{
    /// <summary>Bytes of CUDA context, allocator slack and kernels workspace assumed per device.</summary>
    public const long DefaultRuntimeOverheadBytes = 1L << 30;

    /// <summary>Mixed-precision Adam: fp16 weights + fp16 gradients + fp32 master, momentum, variance (ZeRO, Rajbhandari et al. 2020).</summary>
    public const int MixedPrecisionAdamBytesPerParameter = 16;

    /// <summary>Weights only: parameters × bytes per element.</summary>
    public static long Weights(long parameters, DType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameters);
        return (long)Math.Ceiling(parameters * dtype.BytesPerElement());
    }

    /// <summary>KV cache per token: keys and values for every layer and KV head (2 × layers × kv_heads × head_dim × bytes).</summary>
    public static long KvCacheBytesPerToken(ModelSpec model, DType kvDtype = DType.FP16) =>
        (long)Math.Ceiling(2.0 * model.Layers * model.KvHeads * model.HeadDim * kvDtype.BytesPerElement());

    /// <summary>An inference replica: weights plus a KV-cache budget of <paramref name="kvCacheTokens"/> tokens.</summary>
    public static MemoryEstimate InferenceReplica(
        ModelSpec model, DType weights, long kvCacheTokens, DType kvDtype = DType.FP16,
        long overheadBytes = DefaultRuntimeOverheadBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(kvCacheTokens);
        return new MemoryEstimate(
            WeightsBytes: Weights(model.Parameters, weights),
            KvCacheBytes: KvCacheBytesPerToken(model, kvDtype) * kvCacheTokens,
            OverheadBytes: overheadBytes);
    }

    /// <summary>
    /// An inference replica of a checkpoint whose weights were measured (the bytes of its weight files, as the engine
    /// loads them) with a KV-cache budget in bytes, as the Inference service is configured (<c>Inference:KvCacheBytes</c>).
    /// </summary>
    public static MemoryEstimate InferenceReplica(long weightsBytes, long kvCacheBytes, long overheadBytes = DefaultRuntimeOverheadBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weightsBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(kvCacheBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(overheadBytes);
        return new MemoryEstimate(WeightsBytes: weightsBytes, KvCacheBytes: kvCacheBytes, OverheadBytes: overheadBytes);
    }

    /// <summary>
    /// Trainable LoRA parameters: each adapted d_in × d_out projection gains rank × (d_in + d_out).
    /// With <paramref name="includeMlp"/> the three MLP projections (gate, up, down) are adapted too,
    /// as QLoRA does; the MLP width is inferred as 8/3 × hidden rounded like Llama's.
    /// </summary>
    public static long LoraParameters(ModelSpec model, int rank, bool includeMlp = false, int? mlpWidth = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        long h = model.HiddenSize;
        long kv = (long)model.KvHeads * model.HeadDim;
        // q and o are h×h; k and v are h×kv under GQA.
        var attention = rank * ((h + h) * 2 + (h + kv) * 2);
        var mlp = 0L;
        if (includeMlp)
        {
            long f = mlpWidth ?? (long)(Math.Ceiling(8.0 / 3.0 * h / 256) * 256);
            mlp = 3 * rank * (h + f);
        }
        return model.Layers * (attention + mlp);
    }

    /// <summary>
    /// Activation memory of training one micro-batch, 16-bit, after Korthikanti et al. 2022: a layer
    /// keeps s·b·h·(34 + 5·a·s/h) bytes. With gradient checkpointing only each layer's input
    /// (2·s·b·h bytes) is kept, plus one layer's full activations while it is recomputed.
    /// </summary>
    public static long TrainingActivations(ModelSpec model, int batch, int sequenceLength, bool gradientCheckpointing)
    {
        double s = sequenceLength, b = batch, h = model.HiddenSize, a = model.AttentionHeads;
        var perLayer = s * b * h * (34 + 5 * a * s / h);
        var bytes = gradientCheckpointing ? model.Layers * 2 * s * b * h + perLayer : model.Layers * perLayer;
        return (long)Math.Ceiling(bytes);
    }

    /// <summary>
    /// A LoRA fine-tune on one device: frozen base weights in <paramref name="baseDtype"/> (INT4 for
    /// QLoRA), the adapter with its training state (<paramref name="adapterStateBytesPerParameter"/>:
    /// 16 for bf16 weights + grads + fp32 master and Adam moments, 12 without the fp32 master copy),
    /// and activations.
    /// </summary>
    public static MemoryEstimate LoraFineTune(
        ModelSpec model, DType baseDtype, int rank, int batch, int sequenceLength,
        bool includeMlp = false, bool gradientCheckpointing = true, int adapterStateBytesPerParameter = 16,
        long overheadBytes = DefaultRuntimeOverheadBytes)
    {
        var adapter = LoraParameters(model, rank, includeMlp);
        return new MemoryEstimate(
            WeightsBytes: Weights(model.Parameters, baseDtype),
            AdapterBytes: adapter * 2,
            OptimizerAndGradientBytes: adapter * (adapterStateBytesPerParameter - 2),
            ActivationBytes: TrainingActivations(model, batch, sequenceLength, gradientCheckpointing),
            OverheadBytes: overheadBytes);
    }

    /// <summary>
    /// Per-device memory of a full fine-tune with mixed-precision Adam (16 bytes per parameter),
    /// weights, gradients and optimizer state sharded evenly over <paramref name="devices"/> (ZeRO-3 /
    /// FSDP full sharding); activations are per device.
    /// </summary>
    public static MemoryEstimate FullFineTune(
        ModelSpec model, int devices, int batchPerDevice, int sequenceLength,
        bool gradientCheckpointing = true, long overheadBytes = DefaultRuntimeOverheadBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(devices);
        var states = (long)Math.Ceiling((double)model.Parameters * MixedPrecisionAdamBytesPerParameter / devices);
        var weights = states / 8; // the fp16 weights are 2 of the 16 bytes
        return new MemoryEstimate(
            WeightsBytes: weights,
            OptimizerAndGradientBytes: states - weights,
            ActivationBytes: TrainingActivations(model, batchPerDevice, sequenceLength, gradientCheckpointing),
            OverheadBytes: overheadBytes);
    }

    /// <summary>
    /// The smallest power-of-two gang (1..<paramref name="maxDevices"/>) whose per-device full
    /// fine-tune estimate fits <paramref name="deviceMemoryBytes"/>; null when even the largest gang does not fit.
    /// </summary>
    public static (int Devices, MemoryEstimate PerDevice)? FullFineTuneGang(
        ModelSpec model, long deviceMemoryBytes, int batchPerDevice, int sequenceLength, int maxDevices = 8)
    {
        for (var n = 1; n <= maxDevices; n *= 2)
        {
            var estimate = FullFineTune(model, n, batchPerDevice, sequenceLength);
            if (estimate.TotalBytes <= deviceMemoryBytes)
            {
                return (n, estimate);
            }
        }
        return null;
    }
}
