namespace Platform.Inference.Generation;

/// <summary>
/// Limits which tokens a sequence may choose at each step (structured output). The serving engine masks the
/// logits with it before sampling, and tells it each token chosen; logprobs stay those of the raw distribution.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>
    /// Sets to negative infinity the logit of every token that cannot come next; a token of
    /// <paramref name="stopIds"/> may come only where the output could end.
    /// </summary>
    void Mask(Span<float> logits, IReadOnlySet<int> stopIds);

    /// <summary>Records <paramref name="token"/> as generated.</summary>
    void Accept(int token);
}
