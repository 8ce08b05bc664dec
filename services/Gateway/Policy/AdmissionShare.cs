using System.Text.Json;

namespace Platform.Services.Gateway.Policy;

/// <summary>
/// The consumer admission share the Scheduler publishes in Redis key <see cref="RedisKey"/> as JSON
/// with at least <c>{"fraction": 0..1}</c>.
/// </summary>
public static class AdmissionShare
{
    public const string RedisKey = "pool:admission:consumer";

    /// <summary>The fraction, or null when the value is missing, not JSON, or out of [0, 1].</summary>
    public static double? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object &&
                   doc.RootElement.TryGetProperty("fraction", out var f) &&
                   f.TryGetDouble(out var fraction) && fraction is >= 0 and <= 1 && !double.IsNaN(fraction)
                ? fraction
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Concurrent consumer requests the pool admits: ⌊fraction × pool concurrency⌋.</summary>
    public static int ConsumerSlots(double fraction, int poolConcurrency) => (int)Math.Floor(fraction * poolConcurrency);
}
