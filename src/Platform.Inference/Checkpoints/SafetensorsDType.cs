using TorchSharp;

namespace Platform.Inference.Checkpoints;

/// <summary>Safetensors dtype strings this engine reads and their LibTorch equivalents.</summary>
public static class SafetensorsDType
{
    /// <summary>Maps a header dtype ("F32", "F16", "BF16") to a scalar type; null when unsupported.</summary>
    public static torch.ScalarType? ToScalarType(string dtype) => dtype switch
    {
        "F32" => torch.ScalarType.Float32,
        "F16" => torch.ScalarType.Float16,
        "BF16" => torch.ScalarType.BFloat16,
        _ => null,
    };

    /// <summary>The header spelling of a scalar type.</summary>
    public static string FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float32 => "F32",
        torch.ScalarType.Float16 => "F16",
        torch.ScalarType.BFloat16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only F32, F16 and BF16 are supported"),
    };

    /// <summary>Bytes per element of a safetensors dtype string; null when the dtype is unknown.</summary>
    public static int? ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => null,
    };
}
