namespace Platform.Scheduling.Workers;

/// <summary>Reads intervals written as <c>5s</c>, <c>500ms</c>, <c>2m</c> or plain seconds.</summary>
public static class Intervals
{
    /// <summary>The interval; throws <see cref="SchedulingInputException"/> on anything else, or on one outside 100 ms to 1 hour.</summary>
    public static TimeSpan Parse(string text)
    {
        var (number, scale) = text.Trim() switch
        {
            var t when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            var t when t.EndsWith('s') => (t[..^1], 1.0),
            var t when t.EndsWith('m') => (t[..^1], 60.0),
            var t => (t, 1.0),
        };
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            throw new SchedulingInputException($"interval '{text}' is not a duration such as 5s, 500ms or 2m");
        }
        var interval = TimeSpan.FromSeconds(value * scale);
        return interval >= TimeSpan.FromMilliseconds(100) && interval <= TimeSpan.FromHours(1)
            ? interval
            : throw new SchedulingInputException($"interval '{text}' must be between 100ms and 1h");
    }
}
