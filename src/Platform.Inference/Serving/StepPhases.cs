using System.Text.Json.Serialization;

namespace Platform.Inference.Serving;

/// <summary>
/// Where an engine's forwards spent their time, summed since start. On a GPU, <see cref="ForwardSeconds"/> is the host
/// issuing the model's operators (they run asynchronously) and <see cref="DeviceWaitSeconds"/> the wait for the logits to
/// reach the host: a forward whose issue time is most of it is bound by per-operator host cost, one whose wait is most
/// of it by the device. On the CPU the arithmetic happens while issuing, so the wait is a copy.
/// </summary>
public sealed record StepPhases
{
    /// <summary>Forwards run (a step runs one for its decodes and one for its prefill chunks).</summary>
    [JsonPropertyName("forwards")] public long Forwards { get; init; }

    /// <summary>Building the batch's ids, positions, slots, mask and adapter rows on the host.</summary>
    [JsonPropertyName("prepare_s")] public double PrepareSeconds { get; init; }

    /// <summary>The model's forward call.</summary>
    [JsonPropertyName("forward_s")] public double ForwardSeconds { get; init; }

    /// <summary>Copying the logits to the host (on a GPU, also waiting for the forward to finish).</summary>
    [JsonPropertyName("device_wait_s")] public double DeviceWaitSeconds { get; init; }

    /// <summary>Sampling each sequence's token and emitting it.</summary>
    [JsonPropertyName("sample_s")] public double SampleSeconds { get; init; }

    /// <summary>These sums less <paramref name="earlier"/>'s.</summary>
    public StepPhases Since(StepPhases earlier) => new()
    {
        Forwards = Forwards - earlier.Forwards,
        PrepareSeconds = PrepareSeconds - earlier.PrepareSeconds,
        ForwardSeconds = ForwardSeconds - earlier.ForwardSeconds,
        DeviceWaitSeconds = DeviceWaitSeconds - earlier.DeviceWaitSeconds,
        SampleSeconds = SampleSeconds - earlier.SampleSeconds,
    };

    /// <summary>Milliseconds per forward in each phase, rounded to microseconds (for benchmark output).</summary>
    public Dictionary<string, double> MillisecondsPerForward()
    {
        double Per(double seconds) => Forwards == 0 ? 0 : Math.Round(seconds * 1000 / Forwards, 3);
        return new()
        {
            ["prepare"] = Per(PrepareSeconds),
            ["forward"] = Per(ForwardSeconds),
            ["device_wait"] = Per(DeviceWaitSeconds),
            ["sample"] = Per(SampleSeconds),
        };
    }
}
