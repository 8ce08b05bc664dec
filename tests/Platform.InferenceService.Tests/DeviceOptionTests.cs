using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.InferenceService.Tests;

/// <summary>Inference:Device: a GPU that this process cannot use stops the host at start instead of serving from the CPU.</summary>
public sealed class DeviceOptionTests
{
    [Fact]
    public void Cuda_without_a_cuda_libtorch_refuses_to_start_naming_the_reason()
    {
        if (TorchSharp.torch.cuda.is_available())
        {
            return; // a CUDA LibTorch is loaded: the device is valid here
        }
        using var host = new InferenceHost().WithWebHostBuilder(b => b.UseSetting("Inference:Device", "cuda"));
        var error = Assert.ThrowsAny<Exception>(() => host.Services);
        Assert.Contains("CUDA is not available", Flatten(error));
    }

    [Fact]
    public void A_malformed_device_fails_options_validation()
    {
        using var host = new InferenceHost().WithWebHostBuilder(b => b.UseSetting("Inference:Device", "gpu0"));
        var error = Assert.ThrowsAny<Exception>(() => host.Services);
        Assert.Contains("Inference:Device must be cpu, cuda or cuda:N", Flatten(error));
    }

    private static string Flatten(Exception error)
    {
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
            if (e is OptionsValidationException validation)
            {
                messages.AddRange(validation.Failures);
            }
        }
        return string.Join(" | ", messages);
    }
}
