namespace Platform.Inference;

/// <summary>
/// A checkpoint folder that cannot be loaded: a missing file, an unsupported architecture, a corrupt
/// safetensors header, a tensor with the wrong shape or dtype, an unreadable tokenizer. The message
/// is one sentence naming the file and, where there is one, the field or tensor.
/// </summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> and optional <paramref name="field"/>.</summary>
    public ModelLoadException(string file, string? field, string problem, Exception? inner = null)
        : base(Format(file, field, problem), inner)
    {
        File = file;
        Field = field;
    }

    /// <summary>The file that could not be used.</summary>
    public string File { get; }

    /// <summary>The JSON field or tensor name at fault, when there is one.</summary>
    public string? Field { get; }

    private static string Format(string file, string? field, string problem) =>
        field is null ? $"{file}: {problem}" : $"{file}: field '{field}': {problem}";
}
