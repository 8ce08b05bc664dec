using System.Buffers;
using System.Text.Json;

namespace Platform.Services.Gateway.Policy;

/// <summary>Where a usage record's token counts came from.</summary>
public static class UsageSources
{
    /// <summary>The upstream's own <c>usage</c> object (JSON body or final stream chunk).</summary>
    public const string Reported = "reported";
    /// <summary>A stream that ended without usage (cut, or no include_usage): completion tokens are the content chunks seen.</summary>
    public const string Counted = "counted";
    public const string None = "none";
}

/// <summary>Token usage found in a response.</summary>
public sealed record UsageResult(string Model, int PromptTokens, int CompletionTokens, string Source);

/// <summary>
/// Watches a response body as it passes through and finds its usage: the <c>usage</c> object of a
/// JSON response, or of the last SSE chunk that carries one; for a stream without it, one completion
/// token per content delta (engines emit a chunk per token).
/// </summary>
public sealed class UsageScanner(bool eventStream)
{
    private const int MaxJsonBytes = 4 * 1024 * 1024;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private bool _overflow;
    private string _model = "";
    private int? _prompt;
    private int? _completion;
    private int _counted;

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (!eventStream)
        {
            if (!_overflow && _buffer.WrittenCount + data.Length <= MaxJsonBytes)
            {
                _buffer.Write(data);
            }
            else
            {
                _overflow = true;
            }
            return;
        }
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (_buffer.WrittenCount + data.Length <= MaxJsonBytes)
                {
                    _buffer.Write(data);
                }
                return;
            }
            ReadOnlySpan<byte> line;
            if (_buffer.WrittenCount > 0)
            {
                _buffer.Write(data[..newline]);
                line = _buffer.WrittenSpan;
            }
            else
            {
                line = data[..newline];
            }
            ScanEvent(line.TrimEnd((byte)'\r'));
            _buffer.ResetWrittenCount();
            data = data[(newline + 1)..];
        }
    }

    /// <param name="promptEstimate">Prompt tokens to record when the response reports none.</param>
    public UsageResult Complete(int promptEstimate)
    {
        if (!eventStream && !_overflow && _buffer.WrittenCount > 0)
        {
            ScanJson(_buffer.WrittenSpan);
        }
        if (_prompt is not null || _completion is not null)
        {
            return new UsageResult(_model, _prompt ?? 0, _completion ?? 0, UsageSources.Reported);
        }
        return eventStream
            ? new UsageResult(_model, promptEstimate, _counted, UsageSources.Counted)
            : new UsageResult(_model, 0, 0, UsageSources.None);
    }

    private void ScanEvent(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("data:"u8))
        {
            return;
        }
        var payload = line["data:".Length..].Trim((byte)' ');
        if (payload.IsEmpty || payload.SequenceEqual("[DONE]"u8))
        {
            return;
        }
        ScanJson(payload, countContent: true);
    }

    private void ScanJson(ReadOnlySpan<byte> json, bool countContent = false)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(json);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            if (_model.Length == 0 && root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
            {
                _model = model.GetString()!;
            }
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _prompt = Int(usage, "prompt_tokens") ?? _prompt;
                _completion = Int(usage, "completion_tokens") ?? _completion ?? 0;
            }
            if (countContent && root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (HasText(choice, "delta") || (choice.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && !text.ValueEquals("")))
                    {
                        _counted++;
                    }
                }
            }
        }
    }

    private static bool HasText(JsonElement choice, string name) =>
        choice.TryGetProperty(name, out var delta) && delta.ValueKind == JsonValueKind.Object &&
        delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && !content.ValueEquals("");

    private static int? Int(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) && i >= 0 ? i : null;
}
