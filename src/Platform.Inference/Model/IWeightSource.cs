using TorchSharp;

namespace Platform.Inference.Model;

/// <summary>Supplies named weight tensors (checkpoint keys) to the model as it is built.</summary>
public interface IWeightSource
{
    /// <summary>Whether the source has tensor <paramref name="name"/>.</summary>
    bool Contains(string name);

    /// <summary>
    /// Returns a new F32 CPU tensor for <paramref name="name"/> with exactly <paramref name="shape"/>;
    /// throws <see cref="ModelLoadException"/> when it is missing or shaped differently.
    /// </summary>
    torch.Tensor Get(string name, long[] shape);
}
