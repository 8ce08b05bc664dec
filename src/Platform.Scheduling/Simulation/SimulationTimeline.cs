namespace Platform.Scheduling.Simulation;

/// <summary>
/// One interval of a run (<see cref="SimulationOptions.TimelineSeconds"/>): how the pool was shared and
/// how enterprise requests that arrived in it fared. Shows where a policy leaves capacity idle.
/// </summary>
/// <param name="StartS">Start of the interval, seconds from the start of the trace.</param>
/// <param name="AllocatedByTenant">Time-average share of pool memory each tenant held (0..1).</param>
/// <param name="Idle">Time-average share of pool memory no workload held.</param>
/// <param name="EnterpriseRequests">Enterprise requests that arrived in the interval.</param>
/// <param name="EnterpriseMissed">Of those, requests that missed their SLO.</param>
/// <param name="ConsumerOffered">Consumer requests offered in the interval.</param>
/// <param name="ConsumerAdmitted">Of those, requests the admission share let in.</param>
public sealed record TimelineSample(
    double StartS,
    IReadOnlyDictionary<string, double> AllocatedByTenant,
    double Idle,
    int EnterpriseRequests,
    int EnterpriseMissed,
    int ConsumerOffered,
    int ConsumerAdmitted);

/// <summary>Accumulates <see cref="TimelineSample"/>s during a run.</summary>
internal sealed class TimelineRecorder(double intervalSeconds)
{
    private readonly SortedDictionary<int, Bucket> _buckets = [];

    public bool Enabled => intervalSeconds > 0;

    public void SampleAllocation(double now, IEnumerable<(string Tenant, double Share)> shares)
    {
        if (!Enabled)
        {
            return;
        }
        var bucket = At(now);
        bucket.Samples++;
        foreach (var (tenant, share) in shares)
        {
            bucket.Allocated[tenant] = bucket.Allocated.GetValueOrDefault(tenant) + share;
        }
    }

    public void Enterprise(double arrival, bool met)
    {
        if (Enabled)
        {
            var bucket = At(arrival);
            bucket.EnterpriseRequests++;
            bucket.EnterpriseMissed += met ? 0 : 1;
        }
    }

    public void Consumer(double arrival, bool admitted)
    {
        if (Enabled)
        {
            var bucket = At(arrival);
            bucket.ConsumerOffered++;
            bucket.ConsumerAdmitted += admitted ? 1 : 0;
        }
    }

    public IReadOnlyList<TimelineSample> Samples() => _buckets.Select(kv =>
    {
        var b = kv.Value;
        var n = Math.Max(1, b.Samples);
        var allocated = b.Allocated.OrderBy(a => a.Key, StringComparer.Ordinal)
            .ToDictionary(a => a.Key, a => Math.Round(a.Value / n, 4), StringComparer.Ordinal);
        var idle = b.Samples == 0 ? 0 : Math.Round(Math.Max(0, 1 - b.Allocated.Values.Sum() / n), 4);
        return new TimelineSample(kv.Key * intervalSeconds, allocated, idle, b.EnterpriseRequests, b.EnterpriseMissed, b.ConsumerOffered, b.ConsumerAdmitted);
    }).ToList();

    private Bucket At(double seconds)
    {
        var key = (int)Math.Floor(seconds / intervalSeconds);
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            _buckets[key] = bucket = new Bucket();
        }
        return bucket;
    }

    private sealed class Bucket
    {
        public Dictionary<string, double> Allocated { get; } = new(StringComparer.Ordinal);
        public int Samples { get; set; }
        public int EnterpriseRequests { get; set; }
        public int EnterpriseMissed { get; set; }
        public int ConsumerOffered { get; set; }
        public int ConsumerAdmitted { get; set; }
    }
}
