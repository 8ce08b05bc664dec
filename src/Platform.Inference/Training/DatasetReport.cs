namespace Platform.Inference.Training;

/// <summary>
/// What validating a dataset against one base model found: the examples (when valid), counts for
/// the cost summary, and every line-numbered problem.
/// </summary>
public sealed class DatasetReport
{
    /// <summary>Encoded examples in file order.</summary>
    public required IReadOnlyList<TrainingExample> Examples { get; init; }

    /// <summary>Problems, in line order (at most the cap given to <see cref="DatasetValidator.Validate"/>).</summary>
    public required IReadOnlyList<DatasetError> Errors { get; init; }

    /// <summary>Lines with a problem (may exceed <see cref="Errors"/>' count).</summary>
    public required int ErrorCount { get; init; }

    /// <summary>Whether the file can be trained on.</summary>
    public bool IsValid => ErrorCount == 0 && Examples.Count > 0;

    /// <summary>Valid examples.</summary>
    public int ExampleCount => Examples.Count;

    /// <summary>Tokens in all examples: what one epoch feeds through the model.</summary>
    public long Tokens => Examples.Sum(e => (long)e.InputIds.Length);

    /// <summary>Tokens the loss is taken on (assistant turns, completions).</summary>
    public long TrainableTokens => Examples.Sum(e => (long)e.TrainableCount);

    /// <summary>The longest example in tokens.</summary>
    public int MaxExampleTokens => Examples.Count == 0 ? 0 : Examples.Max(e => e.InputIds.Length);
}

/// <summary>Validates a JSONL dataset for a base model: format, roles, assistant turns, and length against its context.</summary>
public static class DatasetValidator
{
    /// <summary>
    /// Checks every line of <paramref name="reader"/> for what needs no tokenizer (the reader's format
    /// rules); keeps at most <paramref name="maxErrors"/> messages.
    /// </summary>
    public static DatasetFormatReport ValidateFormat(TextReader reader, int maxErrors = 20)
    {
        var examples = 0;
        var errors = new List<DatasetError>();
        var errorCount = 0;
        foreach (var (_, error) in DatasetReader.Read(reader))
        {
            if (error is null)
            {
                examples++;
                continue;
            }
            errorCount++;
            if (errors.Count < maxErrors)
            {
                errors.Add(error);
            }
        }
        return new DatasetFormatReport { ExampleCount = examples, Errors = errors, ErrorCount = errorCount };
    }

    /// <summary>
    /// Reads and encodes every line of <paramref name="reader"/>; examples longer than
    /// <paramref name="contextLength"/> tokens are errors. Keeps at most <paramref name="maxErrors"/> messages.
    /// </summary>
    public static DatasetReport Validate(TextReader reader, ExampleEncoder encoder, int contextLength, int maxErrors = 20)
    {
        var examples = new List<TrainingExample>();
        var errors = new List<DatasetError>();
        var errorCount = 0;
        foreach (var (record, error) in DatasetReader.Read(reader))
        {
            var problem = error;
            if (record is not null)
            {
                var example = encoder.Encode(record);
                if (example.InputIds.Length > contextLength)
                {
                    problem = new DatasetError(record.Line,
                        $"the example is {example.InputIds.Length} tokens, longer than the model's context of {contextLength}.");
                }
                else if (example.TrainableCount == 0)
                {
                    problem = new DatasetError(record.Line, "the example has no tokens to train on.");
                }
                else
                {
                    examples.Add(example);
                }
            }
            if (problem is not null)
            {
                errorCount++;
                if (errors.Count < maxErrors)
                {
                    errors.Add(problem);
                }
            }
        }
        return new DatasetReport { Examples = examples, Errors = errors, ErrorCount = errorCount };
    }
}
