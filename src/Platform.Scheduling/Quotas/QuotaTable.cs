using Platform.Scheduling.State;

namespace Platform.Scheduling.Quotas;

/// <summary>Validated per-tenant quotas. Tenants without an entry get <see cref="DefaultQuota"/>.</summary>
public sealed class QuotaTable
{
    private readonly Dictionary<string, TenantQuota> _quotas;

    private QuotaTable(Dictionary<string, TenantQuota> quotas, long? defaultBorrowingLimit)
    {
        _quotas = quotas;
        DefaultBorrowingLimitBytes = defaultBorrowingLimit;
    }

    /// <summary>Borrowing limit of tenants with no entry (their guarantee is 0).</summary>
    public long? DefaultBorrowingLimitBytes { get; }

    /// <summary>Configured quotas.</summary>
    public IReadOnlyCollection<TenantQuota> All => _quotas.Values;

    /// <summary>Sum of guarantees.</summary>
    public long GuaranteedTotalBytes => _quotas.Values.Sum(q => q.GuaranteedBytes);

    /// <summary>
    /// How far the guarantees exceed <paramref name="schedulableBytes"/> (the memory of nodes that take work now);
    /// 0 when every guarantee can be honoured at once. The service's pool grows and shrinks as workers register and
    /// drain, so it checks this on every change instead of refusing the quotas at start.
    /// </summary>
    public long OvercommitBytes(long schedulableBytes) => Math.Max(0, GuaranteedTotalBytes - schedulableBytes);

    /// <summary>
    /// Validates and builds the table. Conflicts are refused with <see cref="SchedulingInputException"/>:
    /// a tenant listed twice, a negative figure, or guarantees that add up to more than the pool holds
    /// (they could not all be honoured at once).
    /// </summary>
    public static QuotaTable Create(IEnumerable<TenantQuota> quotas, long poolCapacityBytes, long? defaultBorrowingLimitBytes = null)
    {
        var table = new Dictionary<string, TenantQuota>(StringComparer.Ordinal);
        foreach (var q in quotas)
        {
            if (string.IsNullOrWhiteSpace(q.TenantId))
            {
                throw new SchedulingInputException("a quota has no tenant id");
            }
            if (q.GuaranteedBytes < 0 || q.BorrowingLimitBytes < 0)
            {
                throw new SchedulingInputException($"tenant '{q.TenantId}' has a negative quota");
            }
            if (!table.TryAdd(q.TenantId, q))
            {
                throw new SchedulingInputException($"tenant '{q.TenantId}' has two conflicting quota entries");
            }
        }
        var total = table.Values.Sum(q => q.GuaranteedBytes);
        if (total > poolCapacityBytes)
        {
            throw new SchedulingInputException(
                $"guaranteed quotas add up to {Gib(total)} GiB but the pool has {Gib(poolCapacityBytes)} GiB, so they cannot all be honoured");
        }
        return new QuotaTable(table, defaultBorrowingLimitBytes);
    }

    /// <summary>The tenant's quota (the default for unknown tenants).</summary>
    public TenantQuota For(string tenantId) =>
        _quotas.TryGetValue(tenantId, out var q) ? q : new TenantQuota(tenantId, 0, DefaultBorrowingLimitBytes);

    /// <summary>
    /// Ids of running workloads that are borrowing: per tenant, workloads are ranked by class
    /// (highest first) then start time (oldest first), and those past the tenant's guarantee in that
    /// order are the borrowed part. Terminating workloads are ignored.
    /// </summary>
    public HashSet<string> BorrowingWorkloads(PoolState state)
    {
        var borrowing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tenant in state.Running.Where(w => !w.Terminating).GroupBy(w => w.Request.TenantId))
        {
            var guaranteed = For(tenant.Key).GuaranteedBytes;
            var used = 0L;
            foreach (var w in tenant.OrderByDescending(w => w.Request.Priority).ThenBy(w => w.StartedAt).ThenBy(w => w.Request.Id, StringComparer.Ordinal))
            {
                used += w.ChargedBytes;
                if (used > guaranteed)
                {
                    borrowing.Add(w.Request.Id);
                }
            }
        }
        return borrowing;
    }

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
