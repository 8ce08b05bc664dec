using Platform.Inference.Training;

namespace Platform.Services.FineTune.Data;

/// <summary>A valid file's counts with one base model's tokenizer (finetune.file_token_counts).</summary>
public sealed record TokenCounts(int Examples, long Tokens, long TrainableTokens, int MaxExampleTokens)
{
    public static TokenCounts From(DatasetReport report) =>
        new(report.ExampleCount, report.Tokens, report.TrainableTokens, report.MaxExampleTokens);
}
