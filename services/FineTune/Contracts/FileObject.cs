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
/// default-length job.
/// </summary>
public sealed record DatasetSummary(
    string Model,
    int Examples,
    long Tokens,
    long TrainableTokens,
    int MaxExampleTokens,
    long EstimatedTrainingTokensPerEpoch,
    int DefaultEpochs,
    long EstimatedTrainingTokens)
{
    /// <summary>Queue wait and training time of a default-length job on this file submitted now.</summary>
    public PoolEstimate? Estimate { get; init; }
}

public sealed record DeletedObject(string Id, string Object, bool Deleted);

/// <summary>OpenAI's list envelope.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, bool HasMore)
{
    public string Object => "list";

    public string? FirstId { get; init; }

    public string? LastId { get; init; }
}
