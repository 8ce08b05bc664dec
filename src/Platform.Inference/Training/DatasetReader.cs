using System.Text.Json;

namespace Platform.Inference.Training;

/// <summary>
/// Parses fine-tuning JSONL (OpenAI's formats): one JSON object per line, either
/// <c>{"messages":[{"role":"system|user|assistant","content":"…","weight":0|1}]}</c> or
/// <c>{"prompt":"…","completion":"…"}</c>. Blank lines are skipped; each defect is reported with its line.
/// </summary>
public static class DatasetReader
{
    private static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>Parses every line of <paramref name="reader"/>; a line with a defect yields an error and no record.</summary>
    public static IEnumerable<(DatasetRecord? Record, DatasetError? Error)> Read(TextReader reader)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            DatasetRecord? record = null;
            string? error;
            try
            {
                using var document = JsonDocument.Parse(line);
                error = Parse(document.RootElement, number, out record);
            }
            catch (JsonException e)
            {
                error = "invalid JSON: " + e.Message.Split(" LineNumber", 2)[0].TrimEnd('.', ' ') + ".";
            }
            yield return error is null ? (record, null) : (null, new DatasetError(number, error));
        }
    }

    private static string? Parse(JsonElement root, int line, out DatasetRecord? record)
    {
        record = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "each line must be a JSON object.";
        }
        if (root.TryGetProperty("messages", out var messages))
        {
            return ParseChat(messages, line, out record);
        }
        if (root.TryGetProperty("prompt", out var prompt) || root.TryGetProperty("completion", out _))
        {
            var completion = root.TryGetProperty("completion", out var c) ? c : default;
            if (prompt.ValueKind != JsonValueKind.String || completion.ValueKind != JsonValueKind.String)
            {
                return "a prompt/completion example needs string \"prompt\" and \"completion\" fields.";
            }
            if (completion.GetString()!.Length == 0)
            {
                return "\"completion\" is empty: there is nothing to train on.";
            }
            record = new DatasetRecord { Line = line, Prompt = prompt.GetString(), Completion = completion.GetString() };
            return null;
        }
        return "an example needs \"messages\" (chat format) or \"prompt\" and \"completion\".";
    }

    private static string? ParseChat(JsonElement messages, int line, out DatasetRecord? record)
    {
        record = null;
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return "\"messages\" must be a non-empty array.";
        }
        var turns = new List<TrainingMessage>();
        var index = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
            {
                return $"messages[{index}] must be an object with \"role\" and \"content\".";
            }
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
            if (role is null)
            {
                return $"messages[{index}] has no \"role\".";
            }
            if (!Roles.Contains(role))
            {
                return $"messages[{index}] has unknown role \"{role}\" (roles are system, user, assistant).";
            }
            if (!m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            {
                return $"messages[{index}] needs a string \"content\".";
            }
            if (string.IsNullOrWhiteSpace(content.GetString()))
            {
                return $"messages[{index}] has empty \"content\".";
            }
            var weight = 1;
            if (m.TryGetProperty("weight", out var w))
            {
                if (role != "assistant" || w.ValueKind != JsonValueKind.Number || !w.TryGetInt32(out weight) || weight is not (0 or 1))
                {
                    return $"messages[{index}]: \"weight\" is allowed on assistant messages only, and must be 0 or 1.";
                }
            }
            turns.Add(new TrainingMessage(role, content.GetString()!, weight));
            index++;
        }
        if (!turns.Any(t => t.Role == "assistant" && t.Weight == 1))
        {
            return "the example has no assistant message to train on.";
        }
        record = new DatasetRecord { Line = line, Messages = turns };
        return null;
    }
}
