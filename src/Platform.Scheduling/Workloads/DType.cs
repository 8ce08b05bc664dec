namespace Platform.Scheduling.Workloads;

/// <summary>Numeric formats for weights, KV cache and optimizer state.</summary>
public enum DType
{
    /// <summary>32-bit float.</summary>
    FP32,

    /// <summary>16-bit float.</summary>
    FP16,

    /// <summary>16-bit brain float.</summary>
    BF16,

    /// <summary>8-bit float.</summary>
    FP8,

    /// <summary>8-bit integer.</summary>
    INT8,

    /// <summary>4-bit integer / NF4 (QLoRA).</summary>
    INT4,
}

/// <summary>Sizes of <see cref="DType"/> values.</summary>
public static class DTypeSizes
{
    /// <summary>Bytes per element; 0.5 for 4-bit formats.</summary>
    public static double BytesPerElement(this DType dtype) => dtype switch
    {
        DType.FP32 => 4,
        DType.FP16 or DType.BF16 => 2,
        DType.FP8 or DType.INT8 => 1,
        DType.INT4 => 0.5,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Parses fp16, bf16, fp32, fp8, int8, int4 (case-insensitive).</summary>
    public static bool TryParse(string text, out DType dtype) =>
        Enum.TryParse(text.Trim(), ignoreCase: true, out dtype) && Enum.IsDefined(dtype);
}
