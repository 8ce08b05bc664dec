namespace Platform.Inference.Serving;

/// <summary>A request named an adapter that no configured folder holds.</summary>
public sealed class AdapterNotFoundException(string adapter, string model)
    : Exception($"The adapter '{adapter}' does not exist for model '{model}'.")
{
    /// <summary>The adapter asked for.</summary>
    public string Adapter { get; } = adapter;
}
