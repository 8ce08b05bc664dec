namespace Platform.Inference.Training;

/// <summary>
/// What checking a dataset's format found, without a tokenizer: how many examples are well formed
/// and every line-numbered problem (bad JSON, wrong shape, unknown role, empty content, no assistant
/// turn). Token counts and context length need a base model (<see cref="DatasetValidator.Validate"/>).
/// </summary>
public sealed class DatasetFormatReport
{
    /// <summary>Well-formed examples.</summary>
    public required int ExampleCount { get; init; }

    /// <summary>Problems, in line order (at most the cap given to <see cref="DatasetValidator.ValidateFormat"/>).</summary>
    public required IReadOnlyList<DatasetError> Errors { get; init; }

    /// <summary>Lines with a problem (may exceed <see cref="Errors"/>' count).</summary>
    public required int ErrorCount { get; init; }

    /// <summary>Whether the file is well formed and has at least one example.</summary>
    public bool IsValid => ErrorCount == 0 && ExampleCount > 0;
}
