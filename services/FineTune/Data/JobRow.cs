using System.Text.Json;
using Npgsql;
using Platform.FineTune;
using Platform.Services.FineTune.Contracts;

namespace Platform.Services.FineTune.Data;

/// <summary>One finetune.jobs row.</summary>
public sealed record JobRow(
    string Id, Guid TenantId, string Model, string TrainingFile, string? ValidationFile, string? Suffix, long Seed,
    Hyperparameters Hyperparameters, string Status, string OutputName, string? FineTunedModel, long EstimatedTokens,
    long TrainedTokens, string? ErrorCode, string? ErrorMessage, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    public const string Columns = """
        id, tenant_id, model, training_file, validation_file, suffix, seed, hyperparameters, status, output_name,
        fine_tuned_model, estimated_tokens, trained_tokens, error_code, error_message, created_at, finished_at
        """;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Token ids whose embedding rows the adapter trains (PEFT's <c>trainable_token_indices</c>); empty for none.
    /// Stored in the hyperparameters column beside the LoRA settings (absent in rows written before it existed).
    /// </summary>
    public IReadOnlyList<int> TrainableTokenIndices { get; init; } = [];

    public static string Serialize(Hyperparameters h, IReadOnlyList<int> trainableTokenIndices) =>
        JsonSerializer.Serialize(HyperparametersObject.From(h, trainableTokenIndices), Json);

    public static JobRow Read(NpgsqlDataReader r)
    {
        var hyperparameters = JsonSerializer.Deserialize<HyperparametersObject>(r.GetString(7), Json)!;
        return new(
            r.GetString(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), hyperparameters.ToHyperparameters(),
            r.GetString(8), r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.GetInt64(11), r.GetInt64(12),
            r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14),
            r.GetFieldValue<DateTimeOffset>(15), r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16))
        {
            TrainableTokenIndices = hyperparameters.TrainableTokenIndices ?? [],
        };
    }

    public JobObject ToObject() => new(
        Id, CreatedAt.ToUnixTimeSeconds(), FinishedAt?.ToUnixTimeSeconds(), Model, FineTunedModel, TenantId.ToString(), Status,
        TrainingFile, ValidationFile, HyperparametersObject.From(Hyperparameters, TrainableTokenIndices),
        JobStatus.IsFinal(Status) || Status == JobStatus.Running ? TrainedTokens : null, EstimatedTokens,
        ErrorCode is null ? null : new JobError(ErrorCode, ErrorMessage ?? "", null), Suffix, Seed);
}
