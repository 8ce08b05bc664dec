using System.Buffers;
using System.Text.Json;

namespace Platform.Services.FineTune.Apis;

/// <summary>
/// PEFT's <c>trainable_token_indices</c> in a job's hyperparameters: token ids whose embedding rows the adapter
/// trains as its own (tokens the base model never learned, such as citation brackets on stories260K). Read here,
/// beside <see cref="Platform.FineTune.Hyperparameters"/>, because the check needs the base model's vocabulary.
/// </summary>
public static class TrainableTokenIndices
{
    /// <summary>The hyperparameter's name in the request and in the job object.</summary>
    public const string Name = "trainable_token_indices";

    /// <summary>At most this many rows: the option is for a few missing tokens, not for retraining the embedding table.</summary>
    public const int MaxCount = 64;

    /// <summary>
    /// Takes <c>trainable_token_indices</c> out of the request's hyperparameters. Returns the other
    /// hyperparameters (for <see cref="Platform.FineTune.Hyperparameters.Parse"/>), the ids (empty when absent,
    /// null or an empty list), or the parameter and message of the first problem.
    /// </summary>
    public static (JsonElement? Others, IReadOnlyList<int>? Ids, string? Param, string? Error) Extract(JsonElement? hyperparameters, int vocabSize)
    {
        if (hyperparameters is not { ValueKind: JsonValueKind.Object } h || !h.TryGetProperty(Name, out var value))
        {
            return (hyperparameters, [], null, null);
        }
        var param = "hyperparameters." + Name;
        var restElement = Without(h, Name);
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (restElement, [], null, null);
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            return (null, null, param, $"{param} must be a list of token ids (integers).");
        }
        var ids = new List<int>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id))
            {
                return (null, null, param, $"{param} must be a list of token ids (integers); {item.GetRawText()} is not one.");
            }
            if (id < 0 || id >= vocabSize)
            {
                return (null, null, param, $"{param}: {id} is outside the base model's vocabulary (token ids 0 to {vocabSize - 1}).");
            }
            if (ids.Contains(id))
            {
                return (null, null, param, $"{param}: {id} is listed twice.");
            }
            ids.Add(id);
        }
        if (ids.Count > MaxCount)
        {
            return (null, null, param, $"{param} may list at most {MaxCount} token ids, not {ids.Count}.");
        }
        return (restElement, ids, null, null);
    }

    // Copies the object's other properties as they are (a repeated name included, which Hyperparameters.Parse then reads in order).
    private static JsonElement Without(JsonElement obj, string name)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in obj.EnumerateObject().Where(p => p.Name != name))
            {
                property.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
