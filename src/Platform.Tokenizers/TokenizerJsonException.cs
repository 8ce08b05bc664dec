namespace Platform.Tokenizers;

/// <summary>A tokenizer.json field that is missing or malformed: <see cref="Field"/> (a JSON path) and what is wrong with it.</summary>
public sealed class TokenizerJsonException(string field, string problem) : FormatException($"tokenizer.json: {field} {problem}")
{
    /// <summary>The field's path, e.g. "model.merges".</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong, e.g. "is required (an object from token to id)".</summary>
    public string Problem { get; } = problem;
}
