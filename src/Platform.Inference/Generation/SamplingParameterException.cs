namespace Platform.Inference.Generation;

/// <summary>A sampling parameter out of range; <see cref="Field"/> names it as the API spells it.</summary>
public sealed class SamplingParameterException(string field, string problem)
    : ArgumentException($"{field} {problem}", field)
{
    /// <summary>The offending parameter, e.g. "top_p".</summary>
    public string Field { get; } = field;

    /// <summary>"FIELD problem", without ArgumentException's parameter suffix.</summary>
    public override string Message => $"{Field} {problem}";
}
