using Platform.FineTune;
using Platform.Services.FineTune.Data;

namespace Platform.Services.FineTune.Contracts;

/// <summary>OpenAI's file object, plus the validation summary for the base model it was counted with.</summary>
public sealed record FileObject(
    string Id,
    long Bytes,
    long CreatedAt,
    string Filename,
    string Purpose,
    DatasetSummary Summary)
{
    public string Object => "file";

    public string Status => "processed";

    public string? StatusDetails => null;
}

/// <summary>
/// What training on the file costs, counted with <paramref name="Model"/>'s tokenizer: examples, all
/// tokens (one epoch feeds each once), tokens the loss is taken on, and the training tokens of a
/// default-length job. An upload that named no model was only checked for format: <paramref name="Model"/>
/// and every token figure are null until a job names the model (OpenAI's files API has no model field).
/// </summary>
public sealed record DatasetSummary(
    string? Model,
    int Examples,
    long? Tokens,
    long? TrainableTokens,
    int? MaxExampleTokens,
    long? EstimatedTrainingTokensPerEpoch,
    int DefaultEpochs,
    long? EstimatedTrainingTokens)
{
    /// <summary>Queue wait and training time of a default-length job on this file submitted now; null without token counts.</summary>
    public PoolEstimate? Estimate { get; init; }

    /// <summary>The summary of a file counted with <paramref name="model"/>.</summary>
    public static DatasetSummary Counted(string model, TokenCounts counts)
    {
        var epochs = new Hyperparameters().NEpochs;
        return new(model, counts.Examples, counts.Tokens, counts.TrainableTokens, counts.MaxExampleTokens, counts.Tokens, epochs,
            counts.Tokens * epochs);
    }

    /// <summary>The summary of a file checked for format only.</summary>
    public static DatasetSummary Uncounted(int examples) => new(null, examples, null, null, null, null, new Hyperparameters().NEpochs, null);
}

public sealed record DeletedObject(string Id, string Object, bool Deleted);

/// <summary>OpenAI's list envelope.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, bool HasMore)
{
    public string Object => "list";

    public string? FirstId { get; init; }

    public string? LastId { get; init; }
}
