namespace Platform.Services.Gateway.Observability;

/// <summary>
/// One sample line of the Prometheus text format: the metric name, its labels in written order with
/// their values still escaped as on the wire (so rewriting never changes them), and the value with
/// its optional timestamp, as written.
/// </summary>
public sealed record ExpositionSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, string Value);

/// <summary>
/// A metric family: the name of its <c># TYPE</c>/<c># HELP</c> lines (or of its samples when it has
/// none), its help text (escaped as on the wire), its type (<c>untyped</c> when undeclared) and its samples.
/// A histogram's <c>_bucket</c>, <c>_sum</c> and <c>_count</c> samples belong to the family.
/// </summary>
public sealed class MetricFamily(string name)
{
    public const string Untyped = "untyped";

    public string Name { get; } = name;

    public string? Help { get; set; }

    public string Type { get; set; } = Untyped;

    public bool TypeDeclared { get; set; }

    public List<ExpositionSample> Samples { get; } = [];

    /// <summary>Whether a sample of this name is part of this family (its own name, or a suffix its type implies).</summary>
    public bool Owns(string sampleName)
    {
        if (sampleName == Name)
        {
            return true;
        }
        if (!sampleName.StartsWith(Name, StringComparison.Ordinal))
        {
            return false;
        }
        var suffix = sampleName[Name.Length..];
        return Type switch
        {
            "histogram" => suffix is "_bucket" or "_sum" or "_count" or "_created",
            "summary" => suffix is "_sum" or "_count" or "_created",
            "counter" => suffix is "_total" or "_created",
            _ => false,
        };
    }
}
