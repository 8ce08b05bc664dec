using System.Globalization;

namespace Platform.Services.Gateway.Policy;

/// <summary>The binding request and token limits after an admission decision, as the x-ratelimit-* headers report them.</summary>
public sealed record RateLimitSnapshot(
    long RequestLimit, long RequestsRemaining, TimeSpan RequestsReset,
    long TokenLimit, long TokensRemaining, TimeSpan TokensReset)
{
    /// <summary>Writes OpenAI's header set (x-ratelimit-limit-requests, …-remaining-tokens, …-reset-*).</summary>
    public void WriteTo(IHeaderDictionary headers)
    {
        headers["x-ratelimit-limit-requests"] = RequestLimit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-requests"] = RequestsRemaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-requests"] = FormatDuration(RequestsReset);
        headers["x-ratelimit-limit-tokens"] = TokenLimit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-tokens"] = TokensRemaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-tokens"] = FormatDuration(TokensReset);
    }

    /// <summary>OpenAI's duration style: "120ms", "7s", "6m0s".</summary>
    public static string FormatDuration(TimeSpan d)
    {
        if (d <= TimeSpan.Zero)
        {
            return "0s";
        }
        if (d < TimeSpan.FromSeconds(1))
        {
            return ((int)Math.Ceiling(d.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }
        var seconds = (long)Math.Ceiling(d.TotalSeconds);
        return seconds < 60
            ? seconds.ToString(CultureInfo.InvariantCulture) + "s"
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{seconds % 60}s");
    }

    /// <summary>Retry-After in whole seconds, at least 1.</summary>
    public static string RetryAfterSeconds(TimeSpan retry) =>
        Math.Max(1, (long)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
