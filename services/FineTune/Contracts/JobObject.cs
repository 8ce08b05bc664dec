using Platform.FineTune;

namespace Platform.Services.FineTune.Contracts;

/// <summary>OpenAI's fine_tuning.job object; hyperparameters include the LoRA settings.</summary>
public sealed record JobObject(
    string Id,
    long CreatedAt,
    long? FinishedAt,
    string Model,
    string? FineTunedModel,
    string OrganizationId,
    string Status,
    string TrainingFile,
    string? ValidationFile,
    HyperparametersObject Hyperparameters,
    long? TrainedTokens,
    long EstimatedTokens,
    JobError? Error,
    string? UserProvidedSuffix,
    long Seed)
{
    public string Object => "fine_tuning.job";

    public IReadOnlyList<string> ResultFiles => [];

    /// <summary>Unix seconds the job should finish by, while it is unfinished (see <see cref="Estimate"/>).</summary>
    public long? EstimatedFinish { get; init; }

    /// <summary>Queue wait and training time while the job is unfinished; null once it finished.</summary>
    public PoolEstimate? Estimate { get; init; }
}

public sealed record JobError(string Code, string Message, string? Param);

/// <summary>
/// The job's hyperparameters as stored and shown; <see cref="TrainableTokenIndices"/> is PEFT's
/// <c>trainable_token_indices</c> (an empty list when the job trains no token rows).
/// </summary>
public sealed record HyperparametersObject(int NEpochs, int BatchSize, double LearningRateMultiplier, int LoraR,
    double LoraAlpha, double LoraDropout, IReadOnlyList<string> TargetModules, IReadOnlyList<int>? TrainableTokenIndices = null)
{
    public static HyperparametersObject From(Hyperparameters h, IReadOnlyList<int> trainableTokenIndices) =>
        new(h.NEpochs, h.BatchSize, h.LearningRateMultiplier, h.LoraR, h.LoraAlpha, h.LoraDropout, h.TargetModules, trainableTokenIndices);

    public Hyperparameters ToHyperparameters() => new()
    {
        NEpochs = NEpochs, BatchSize = BatchSize, LearningRateMultiplier = LearningRateMultiplier, LoraR = LoraR,
        LoraAlpha = LoraAlpha, LoraDropout = LoraDropout, TargetModules = TargetModules,
    };
}

/// <summary>OpenAI's fine_tuning.job.event object.</summary>
public sealed record EventObject(string Id, long CreatedAt, string Level, string Message, string Type, System.Text.Json.JsonElement? Data)
{
    public string Object => "fine_tuning.job.event";
}

/// <summary>OpenAI's fine_tuning.job.checkpoint object.</summary>
public sealed record CheckpointObject(string Id, long CreatedAt, string FineTunedModelCheckpoint, string FineTuningJobId,
    System.Text.Json.JsonElement Metrics, int StepNumber)
{
    public string Object => "fine_tuning.job.checkpoint";
}
