namespace Platform.Inference.Generation;

/// <summary>
/// A prompt token's log-probability given the tokens before it, under the model's raw distribution, and the most likely
/// alternatives at that position, best first.
/// </summary>
public sealed record PromptTokenLogprob(int TokenId, double Logprob, IReadOnlyList<TokenLogprob> TopLogprobs);
