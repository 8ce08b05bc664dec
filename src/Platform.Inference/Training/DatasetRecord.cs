namespace Platform.Inference.Training;

/// <summary>One turn of a chat example; <paramref name="Weight"/> 0 excludes an assistant turn from the loss (OpenAI's "weight").</summary>
public sealed record TrainingMessage(string Role, string Content, int Weight = 1);

/// <summary>
/// One line of a fine-tuning JSONL file: a chat example (<see cref="Messages"/>) or a
/// prompt/completion pair.
/// </summary>
public sealed record DatasetRecord
{
    /// <summary>1-based line number in the file.</summary>
    public required int Line { get; init; }

    /// <summary>The conversation, for chat examples.</summary>
    public IReadOnlyList<TrainingMessage>? Messages { get; init; }

    /// <summary>The prompt, for prompt/completion examples.</summary>
    public string? Prompt { get; init; }

    /// <summary>The completion, for prompt/completion examples.</summary>
    public string? Completion { get; init; }
}

/// <summary>A problem with one line of a dataset.</summary>
public sealed record DatasetError(int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"line {Line}: {Message}";
}

/// <summary>An encoded example: token ids and, per id, whether the loss is taken on it (assistant tokens).</summary>
public sealed record TrainingExample(int[] InputIds, bool[] Trainable)
{
    /// <summary>Tokens that count towards the loss.</summary>
    public int TrainableCount => Trainable.Count(t => t);
}
