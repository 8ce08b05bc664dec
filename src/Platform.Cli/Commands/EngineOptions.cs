using Platform.Inference;
using Platform.Inference.Generation;
using TorchSharp;

namespace Platform.Cli.Commands;

/// <summary>Sampling flags shared by the engine commands, validated with the engine's field-named errors.</summary>
internal static class EngineOptions
{
    public static SamplingParameters Sampling(Options options)
    {
        var topLogprobs = options.GetInt("top-logprobs", 0);
        var parameters = new SamplingParameters
        {
            MaxTokens = options.GetInt("max-tokens", 128),
            Temperature = options.GetDouble("temperature", 1.0),
            TopP = options.GetDouble("top-p", 1.0),
            TopK = options.GetInt("top-k", 0),
            MinP = options.GetDouble("min-p", 0),
            RepetitionPenalty = options.GetDouble("repetition-penalty", 1.0),
            PresencePenalty = options.GetDouble("presence-penalty", 0),
            FrequencyPenalty = options.GetDouble("frequency-penalty", 0),
            Seed = options.Has("seed") ? options.GetInt("seed", 0) : null,
            Stop = options.Get("stop") is { } stop ? [stop] : [],
            Logprobs = options.Has("logprobs") || topLogprobs > 0,
            TopLogprobs = topLogprobs,
        };
        try
        {
            return parameters.Validate();
        }
        catch (SamplingParameterException e)
        {
            throw new CommandLineError($"--{e.Field.Replace('_', '-')}: {e.Message}");
        }
    }

    /// <summary>`--device cpu|cuda|cuda:N` (default cpu), checked against the LibTorch this process loaded.</summary>
    public static torch.Device Device(Options options)
    {
        try
        {
            return TorchDevices.Parse(options.Get("device"));
        }
        catch (ArgumentException e)
        {
            throw new CommandLineError("--device: " + e.Message);
        }
    }
}
