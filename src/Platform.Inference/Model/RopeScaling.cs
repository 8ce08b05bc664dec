namespace Platform.Inference.Model;

/// <summary>
/// config.json "rope_scaling". Supported types: "llama3" (Llama 3.1/3.2 frequency smoothing),
/// "linear" (positions divided by factor) and "default" (none).
/// </summary>
public sealed record RopeScaling(
    string Type,
    double Factor,
    double LowFreqFactor = 1,
    double HighFreqFactor = 4,
    int OriginalMaxPositionEmbeddings = 8192);
