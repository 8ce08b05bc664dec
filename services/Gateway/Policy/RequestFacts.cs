using System.Text.Json;

namespace Platform.Services.Gateway.Policy;

/// <summary>What the gateway reads from an OpenAI-style request body before admitting it.</summary>
/// <param name="PromptTokens">Estimated prompt tokens (UTF-8 bytes / 4, plus 4 per chat message).</param>
/// <param name="MaxTokens">Completion tokens the request may produce (max_completion_tokens, max_tokens or the default, times n).</param>
public sealed record RequestFacts(string Model, int PromptTokens, int MaxTokens, bool Stream, string? SessionId)
{
    public static readonly RequestFacts None = new("", 0, 0, false, null);

    /// <summary>Tokens to reserve against the tokens-per-minute limits.</summary>
    public int ReservedTokens => (int)Math.Min(int.MaxValue, (long)PromptTokens + MaxTokens);

    /// <summary>Parses a JSON request body; null with <paramref name="error"/> set when it is not a JSON object.</summary>
    public static RequestFacts? Parse(ReadOnlyMemory<byte> body, int defaultMaxTokens, out string? error)
    {
        error = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            error = "The request body is not valid JSON: " + e.Message;
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The request body must be a JSON object.";
                return null;
            }
            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var session = root.TryGetProperty("session_id", out var sid) && sid.ValueKind == JsonValueKind.String ? sid.GetString() : null;
            long bytes = 0;
            var messages = 0;
            if (root.TryGetProperty("messages", out var msgs) && msgs.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in msgs.EnumerateArray())
                {
                    messages++;
                    bytes += TextBytes(message);
                }
            }
            var generates = messages > 0;
            if (root.TryGetProperty("prompt", out var prompt))
            {
                generates = true;
                bytes += TextBytes(prompt);
            }
            if (root.TryGetProperty("input", out var input))
            {
                bytes += TextBytes(input);
            }
            var prompts = (int)Math.Min(int.MaxValue, (bytes + 3) / 4 + 4L * messages);
            var choices = root.TryGetProperty("n", out var n) && n.TryGetInt32(out var count) && count > 1 ? count : 1;
            var max = generates ? (long)(Int(root, "max_completion_tokens") ?? Int(root, "max_tokens") ?? defaultMaxTokens) * choices : 0;
            return new RequestFacts(model, prompts, (int)Math.Clamp(max, 0, int.MaxValue), stream, session);
        }
    }

    private static int? Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) && i > 0 ? i : null;

    /// <summary>UTF-8 length of every string inside a value (message content, content parts, prompt arrays).</summary>
    private static long TextBytes(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => System.Text.Encoding.UTF8.GetByteCount(value.GetString()!),
        JsonValueKind.Array => value.EnumerateArray().Sum(TextBytes),
        JsonValueKind.Object => value.EnumerateObject().Where(p => p.Name is "content" or "text" or "name").Sum(p => TextBytes(p.Value)),
        JsonValueKind.Number => 1,
        _ => 0,
    };
}
