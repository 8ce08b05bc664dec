namespace Platform.Inference.Checkpoints;

/// <summary>One entry of a safetensors header: dtype, shape and byte range inside the data section.</summary>
public sealed record SafetensorsTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
