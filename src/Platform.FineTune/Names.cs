using System.Text.RegularExpressions;

namespace Platform.FineTune;

/// <summary>Names that become folder names: base models, suffixes.</summary>
public static partial class Names
{
    /// <summary>A base model name: a folder under the models directory, no separators or "..".</summary>
    public static bool IsModelName(string? name) => name is { Length: > 0 and <= 128 } && ModelName().IsMatch(name) && !name.Contains("..");

    /// <summary>A job suffix: up to 40 letters, digits, '-' and '_' (OpenAI allows 64; folder names stay short).</summary>
    public static bool IsSuffix(string? suffix) => suffix is { Length: > 0 and <= 40 } && Suffix().IsMatch(suffix);

    /// <summary>The adapter's model name: "&lt;base&gt;:&lt;suffix or job id&gt;".</summary>
    public static string FineTunedModel(string baseModel, string? suffix, string jobId) => $"{baseModel}:{suffix ?? jobId}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ModelName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]*$")]
    private static partial Regex Suffix();
}
