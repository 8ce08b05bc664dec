namespace Platform.FineTune.Pool;

/// <summary>One job's remaining work for a queue estimate.</summary>
/// <param name="Id">The job.</param>
/// <param name="RemainingTokens">Training tokens still to train (estimate − trained).</param>
/// <param name="TokensPerSecond">Throughput on its base model.</param>
public sealed record QueuedWork(string Id, long RemainingTokens, double TokensPerSecond)
{
    /// <summary>Seconds to train what remains.</summary>
    public double Seconds => TokensPerSecond > 0 ? Math.Max(0, RemainingTokens) / TokensPerSecond : 0;
}

/// <summary>
/// Queue wait by list scheduling: the jobs ahead, in queue order, each take the training slot that
/// frees first; a job starts when a slot frees after every job ahead has one. Pure; the caller supplies
/// the queue, the throughput and the number of slots.
/// </summary>
public static class QueueEstimate
{
    /// <summary>Seconds until a job behind <paramref name="ahead"/> starts on one of <paramref name="slots"/> parallel slots.</summary>
    public static double WaitSeconds(IEnumerable<QueuedWork> ahead, int slots)
    {
        ArgumentNullException.ThrowIfNull(ahead);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        var free = new PriorityQueue<int, double>();
        for (var i = 0; i < slots; i++)
        {
            free.Enqueue(i, 0);
        }
        foreach (var work in ahead)
        {
            free.TryDequeue(out var slot, out var at);
            free.Enqueue(slot, at + work.Seconds);
        }
        free.TryPeek(out _, out var start);
        return start;
    }
}
