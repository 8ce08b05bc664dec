using TorchSharp;

namespace Platform.Inference.Tests;

/// <summary>Device names: CPU always; CUDA only where the loaded LibTorch has it (this build's is CPU-only).</summary>
public sealed class TorchDevicesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void Cpu_names_parse_to_the_cpu(string? name)
    {
        var device = TorchDevices.Parse(name);
        Assert.Equal(DeviceType.CPU, device.type);
        Assert.Equal("cpu", TorchDevices.Describe(device));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:x")]
    [InlineData("mps")]
    public void Unknown_names_are_refused_with_the_accepted_forms(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => TorchDevices.Parse(name));
        Assert.Contains("cpu, cuda, cuda:N", error.Message);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Cuda_without_a_cuda_libtorch_is_refused_not_silently_cpu(string name)
    {
        if (torch.cuda.is_available())
        {
            Assert.Equal(DeviceType.CUDA, TorchDevices.Parse("cuda").type);
            return;
        }
        var error = Assert.Throws<ArgumentException>(() => TorchDevices.Parse(name));
        Assert.Contains("CUDA is not available", error.Message);
    }

    [Fact]
    public void Synchronize_on_the_cpu_returns()
    {
        TorchDevices.Synchronize(torch.CPU);
    }
}
