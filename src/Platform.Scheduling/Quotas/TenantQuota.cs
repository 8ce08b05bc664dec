namespace Platform.Scheduling.Quotas;

/// <summary>
/// A tenant's share of the pool, after Kueue's ClusterQueue: <paramref name="GuaranteedBytes"/> is
/// nominal quota that is always honoured (reclaimed from borrowers when needed), and
/// <paramref name="BorrowingLimitBytes"/> caps how much idle capacity beyond it the tenant may use
/// (null = no cap).
/// </summary>
public sealed record TenantQuota(string TenantId, long GuaranteedBytes, long? BorrowingLimitBytes)
{
    /// <summary>Most memory the tenant may hold at once.</summary>
    public long CeilingBytes => BorrowingLimitBytes is { } b ? GuaranteedBytes + b : long.MaxValue;
}
