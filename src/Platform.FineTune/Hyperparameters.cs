using System.Text.Json;

namespace Platform.FineTune;

/// <summary>
/// A job's hyperparameters, OpenAI's (n_epochs, batch_size, learning_rate_multiplier — each a
/// number or "auto") plus the LoRA ones (lora_r, lora_alpha, lora_dropout, target_modules).
/// </summary>
public sealed record Hyperparameters
{
    /// <summary>The projections LoRA may adapt (Llama-family names).</summary>
    public static readonly IReadOnlyList<string> Projections =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public int NEpochs { get; init; } = 3;
    public int BatchSize { get; init; } = 4;
    public double LearningRateMultiplier { get; init; } = 1.0;
    public int LoraR { get; init; } = 8;
    public double LoraAlpha { get; init; } = 16;
    public double LoraDropout { get; init; } = 0.05;
    public IReadOnlyList<string> TargetModules { get; init; } = Projections;

    /// <summary>
    /// Reads the request's "hyperparameters" object (absent or null: all defaults). Returns the
    /// offending parameter name and a message on the first value out of range.
    /// </summary>
    public static (Hyperparameters? Value, string? Param, string? Error) Parse(JsonElement? element)
    {
        var h = new Hyperparameters();
        if (element is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } e)
        {
            return (h, null, null);
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return (null, "hyperparameters", "hyperparameters must be an object.");
        }
        foreach (var property in e.EnumerateObject())
        {
            var name = "hyperparameters." + property.Name;
            var v = property.Value;
            string? error = null;
            switch (property.Name)
            {
                case "n_epochs":
                    h = IntOrAuto(v, 1, 50, out var epochs, ref error) ? h with { NEpochs = epochs ?? h.NEpochs } : h;
                    break;
                case "batch_size":
                    h = IntOrAuto(v, 1, 256, out var batch, ref error) ? h with { BatchSize = batch ?? h.BatchSize } : h;
                    break;
                case "learning_rate_multiplier":
                    h = NumberOrAuto(v, 0, 100, out var lr, ref error) ? h with { LearningRateMultiplier = lr ?? h.LearningRateMultiplier } : h;
                    break;
                case "lora_r":
                    h = IntOrAuto(v, 1, 256, out var r, ref error) ? h with { LoraR = r ?? h.LoraR } : h;
                    break;
                case "lora_alpha":
                    h = NumberOrAuto(v, 0, 4096, out var alpha, ref error) ? h with { LoraAlpha = alpha ?? h.LoraAlpha } : h;
                    break;
                case "lora_dropout":
                    if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is < 0 or >= 1)
                    {
                        error = "must be a number in [0, 1).";
                    }
                    else
                    {
                        h = h with { LoraDropout = v.GetDouble() };
                    }
                    break;
                case "target_modules":
                    var modules = v.ValueKind == JsonValueKind.Array
                        ? v.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : "").Distinct().ToList()
                        : null;
                    if (modules is null || modules.Count == 0 || modules.Any(m => !Projections.Contains(m)))
                    {
                        error = $"must be a non-empty list drawn from {string.Join(", ", Projections)}.";
                    }
                    else
                    {
                        h = h with { TargetModules = [.. Projections.Where(modules.Contains)] };
                    }
                    break;
                default:
                    error = "is not a known hyperparameter.";
                    break;
            }
            if (error is not null)
            {
                return (null, name, $"{name} {error}");
            }
        }
        return (h, null, null);
    }

    private static bool IntOrAuto(JsonElement v, int min, int max, out int? value, ref string? error)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.String && v.GetString() == "auto")
        {
            return true;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max)
        {
            value = i;
            return true;
        }
        error = $"must be an integer from {min} to {max}, or \"auto\".";
        return false;
    }

    private static bool NumberOrAuto(JsonElement v, double exclusiveMin, double max, out double? value, ref string? error)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.String && v.GetString() == "auto")
        {
            return true;
        }
        if (v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d > exclusiveMin && d <= max)
        {
            value = d;
            return true;
        }
        error = $"must be a number in ({exclusiveMin}, {max}], or \"auto\".";
        return false;
    }
}
