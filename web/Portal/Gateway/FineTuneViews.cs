using System.Text.Json;

namespace Platform.Portal.Gateway;

// The fine-tuning service's OpenAI-shaped JSON (snake_case), as far as the portal reads it.

/// <summary>An uploaded dataset and what training on it costs, counted with <see cref="DatasetSummaryView.Model"/>'s tokenizer.</summary>
public sealed record DatasetView(string Id, string Filename, long Bytes, long CreatedAt, DatasetSummaryView Summary);

public sealed record DatasetSummaryView(string? Model, int Examples, long? Tokens, long? TrainableTokens, int? MaxExampleTokens, long? EstimatedTrainingTokens);

public sealed record FineTuneHyperparameters(int NEpochs, int BatchSize, double LearningRateMultiplier, int LoraR, double LoraAlpha, double LoraDropout,
    IReadOnlyList<string>? TargetModules = null)
{
    /// <summary>Token ids whose embedding rows the adapter trains (PEFT's <c>trainable_token_indices</c>); empty for none.</summary>
    public IReadOnlyList<int>? TrainableTokenIndices { get; init; }
}

public sealed record FineTuneJobError(string? Code, string? Message);

/// <summary>OpenAI's fine_tuning.job (LoRA hyperparameters added).</summary>
public sealed record FineTuneJobView(string Id, long CreatedAt, long? FinishedAt, string Model, string? FineTunedModel, string Status,
    string TrainingFile, string? ValidationFile, FineTuneHyperparameters Hyperparameters, long? TrainedTokens, long EstimatedTokens,
    FineTuneJobError? Error, string? UserProvidedSuffix, long Seed)
{
    public bool Finished => Status is "succeeded" or "failed" or "cancelled";
}

/// <summary>A job event; <c>metrics</c> events carry step, losses and learning rate in <see cref="Data"/>.</summary>
public sealed record FineTuneEventView(string Id, long CreatedAt, string Level, string Message, string Type, JsonElement? Data)
{
    /// <summary>The number in the id (<c>ftevent-N</c>): events are numbered in the order they happened.</summary>
    public long Sequence => long.TryParse(Id.AsSpan(Id.LastIndexOf('-') + 1), out var n) ? n : 0;
}

/// <summary>One step's numbers from a <c>metrics</c> event (step 0 is the validation loss before training).</summary>
public sealed record LossPoint(int Step, int TotalSteps, double? TrainLoss, double? ValidLoss)
{
    public static LossPoint? From(FineTuneEventView e)
    {
        if (e.Type != "metrics" || e.Data is not { ValueKind: JsonValueKind.Object } data || !data.TryGetProperty("step", out var step))
        {
            return null;
        }
        return new LossPoint(step.GetInt32(),
            data.TryGetProperty("total_steps", out var total) && total.ValueKind == JsonValueKind.Number ? total.GetInt32() : 0,
            Number(data, "train_loss"), Number(data, "valid_loss"));
    }

    private static double? Number(JsonElement data, string name) =>
        data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}

/// <summary>What the launch form sends.</summary>
public sealed record FineTuneJobRequest(string Model, string TrainingFile, string? ValidationFile, string? Suffix, long? Seed,
    FineTuneHyperparameters Hyperparameters);

/// <summary>An OpenAI list page (<c>has_more</c>).</summary>
public sealed record PageView<T>(List<T> Data, bool HasMore);
