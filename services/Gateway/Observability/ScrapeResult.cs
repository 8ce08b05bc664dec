namespace Platform.Services.Gateway.Observability;

/// <summary>
/// One service's exposition as read in one aggregated scrape: the labels every one of its samples gets
/// (<c>service</c>, plus <c>instance</c> when the service has several replicas), its families, or the
/// reason it could not be read (then it counts as down).
/// </summary>
public sealed record ScrapeResult(
    string Service, string? Instance, IReadOnlyList<MetricFamily>? Families, TimeSpan Duration, string? Error = null)
{
    public bool Up => Families is not null;

    public IReadOnlyList<KeyValuePair<string, string>> TargetLabels =>
        Instance is null ? [new("service", Service)] : [new("service", Service), new("instance", Instance)];
}
