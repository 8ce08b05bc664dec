using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Replicas;

/// <summary>Reads the Scheduler's published hash into the ready replicas, ordered by URL.</summary>
public static class ReplicaSet
{
    private sealed record Entry(
        [property: JsonPropertyName("url")] string? Url,
        [property: JsonPropertyName("model")] string? Model,
        [property: JsonPropertyName("ready")] bool Ready);

    /// <summary>
    /// The entries with <c>ready: true</c> and an absolute http(s) URL. Malformed entries are skipped and
    /// named in <paramref name="skipped"/> (a bad entry must not take the others down).
    /// </summary>
    public static IReadOnlyList<InferenceReplica> Parse(IEnumerable<HashEntry> entries, out IReadOnlyList<string> skipped)
    {
        var ready = new SortedDictionary<string, InferenceReplica>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (var entry in entries)
        {
            Entry? value;
            try
            {
                value = JsonSerializer.Deserialize<Entry>(entry.Value.ToString());
            }
            catch (JsonException)
            {
                value = null;
            }
            var url = (value?.Url ?? entry.Name.ToString()).TrimEnd('/');
            if (value is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                bad.Add(entry.Name.ToString());
                continue;
            }
            if (value.Ready)
            {
                ready[url] = new InferenceReplica(url, value.Model is { Length: > 0 } model ? model : null);
            }
        }
        skipped = bad;
        return [.. ready.Values];
    }
}
