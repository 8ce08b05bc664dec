using System.Text.Json;

namespace Platform.Portal.Tests;

/// <summary>One line of a launched service's JSON console log, as much of it as a failure message needs.</summary>
internal sealed record LogEntry(string Timestamp, string Level, string Category, string Message)
{
    public bool IsClientCall => Category.StartsWith("System.Net.Http.HttpClient.", StringComparison.Ordinal)
        && Category.EndsWith(".LogicalHandler", StringComparison.Ordinal);

    public bool IsWarning => Level is "Warning" or "Error" or "Critical";

    public static LogEntry? Parse(string line)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return new LogEntry(
                root.GetProperty("Timestamp").GetString() ?? "",
                root.GetProperty("LogLevel").GetString() ?? "",
                root.GetProperty("Category").GetString() ?? "",
                root.GetProperty("Message").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public override string ToString()
    {
        var message = Message.Length > 300 ? Message[..300] + "…" : Message;
        return $"{Timestamp.Trim()} {Level} {message}";
    }
}
