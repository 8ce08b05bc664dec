namespace Platform.Scheduling.Policies;

/// <summary>What a policy decided for one pending workload.</summary>
public abstract record SchedulingDecision
{
    private SchedulingDecision() { }

    /// <summary>Bind to these devices now. <paramref name="Borrowing"/>: the tenant goes past its guarantee.</summary>
    public sealed record Place(IReadOnlyList<string> DeviceIds, bool Borrowing) : SchedulingDecision;

    /// <summary>Stop these workloads (fine-tunes checkpoint first); the request stays pending until they are gone.</summary>
    public sealed record Preempt(IReadOnlyList<string> VictimIds, string Reason) : SchedulingDecision;

    /// <summary>Keep pending.</summary>
    public sealed record Wait(string Reason) : SchedulingDecision;

    /// <summary>Never placeable (e.g. larger than any device); drop it and tell the submitter why.</summary>
    public sealed record Reject(string Reason) : SchedulingDecision;
}
