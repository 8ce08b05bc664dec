namespace Platform.FineTune;

/// <summary>A tenant's fine-tuning limits.</summary>
public sealed record TenantQuota
{
    /// <summary>Jobs validating, queued or running at once.</summary>
    public int MaxConcurrentJobs { get; init; } = 2;

    /// <summary>Training tokens (tokens per epoch × epochs) per calendar month (UTC).</summary>
    public long MaxTrainingTokensPerMonth { get; init; } = 10_000_000;

    /// <summary>The first instant of the calendar month (UTC) that contains <paramref name="now"/>.</summary>
    public static DateTimeOffset MonthStart(DateTimeOffset now) => new(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
}
