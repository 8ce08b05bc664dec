namespace Platform.Inference.Serving;

/// <summary>One sequence's share of a step: tokens [Start, Start + Count) of its <see cref="SequenceState.Tokens"/>.</summary>
public sealed record ScheduledChunk(SequenceState Sequence, int Start, int Count)
{
    /// <summary>Whether this chunk reaches the last token, so its logits choose the next token.</summary>
    public bool Samples => Start + Count == Sequence.Tokens.Count;
}

/// <summary>The plan of one engine step.</summary>
public sealed record SchedulerStep(IReadOnlyList<ScheduledChunk> Chunks, IReadOnlyList<SequenceState> Preempted)
{
    /// <summary>Tokens planned in total.</summary>
    public int TokenCount => Chunks.Sum(c => c.Count);
}
