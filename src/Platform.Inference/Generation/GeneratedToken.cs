namespace Platform.Inference.Generation;

/// <summary>One step of a generation stream.</summary>
/// <param name="TokenId">The chosen token.</param>
/// <param name="Text">Text released at this step (may be empty while a character or a possible stop string is incomplete).</param>
/// <param name="Logprob">Log-probability of the chosen token, when requested.</param>
/// <param name="TopLogprobs">The most likely alternatives, best first, when requested.</param>
/// <param name="FinishReason">Set on the last token of the stream.</param>
/// <param name="IsStopToken">True for an EOS/stop token that ended generation: it is reported but is not part of the completion.</param>
public sealed record GeneratedToken(
    int TokenId,
    string Text,
    double? Logprob,
    IReadOnlyList<TokenLogprob>? TopLogprobs,
    FinishReason? FinishReason,
    bool IsStopToken = false);
