namespace Platform.Inference.Generation;

/// <summary>Why generation ended (OpenAI spelling via <see cref="FinishReasonExtensions.ToApiString"/>).</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token or a stop string.</summary>
    Stop,

    /// <summary>max_tokens reached.</summary>
    Length,
}

/// <summary>Conversions for <see cref="FinishReason"/>.</summary>
public static class FinishReasonExtensions
{
    /// <summary>"stop" or "length".</summary>
    public static string ToApiString(this FinishReason reason) => reason == FinishReason.Stop ? "stop" : "length";
}
