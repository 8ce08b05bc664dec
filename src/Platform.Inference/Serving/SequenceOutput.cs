using Platform.Inference.Generation;

namespace Platform.Inference.Serving;

/// <summary>One event of a sequence's stream: a generated token's text, and on the last event the finish reason.</summary>
/// <param name="Text">Text released by this event (may be empty).</param>
/// <param name="CompletionTokens">Completion tokens so far (an ending EOS token is not counted).</param>
/// <param name="FinishReason">Set on the last event.</param>
/// <param name="TokenId">The token this event generated; null for an event that only ends the stream (EOS/stop token).</param>
/// <param name="Logprob">The token's log-probability under the raw distribution, when requested.</param>
/// <param name="TopLogprobs">The most likely alternatives, best first, when requested.</param>
/// <param name="PromptLogprobs">
/// On the first event of a request with <see cref="EngineRequest.PromptLogprobs"/>: each prompt token after the first,
/// in order.
/// </param>
public sealed record SequenceOutput(
    string Text,
    int CompletionTokens,
    FinishReason? FinishReason,
    int? TokenId = null,
    double? Logprob = null,
    IReadOnlyList<TokenLogprob>? TopLogprobs = null,
    IReadOnlyList<PromptTokenLogprob>? PromptLogprobs = null);
