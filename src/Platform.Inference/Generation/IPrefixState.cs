namespace Platform.Inference.Generation;

/// <summary>Where a constrained output stands: a small value that a token's text advances, or rejects.</summary>
public interface IPrefixState<TSelf> where TSelf : struct, IPrefixState<TSelf>
{
    /// <summary>Whether the output may end here.</summary>
    bool IsComplete { get; }

    /// <summary>The state after <paramref name="text"/>, or null if it cannot come next.</summary>
    TSelf? Step(string text);
}
