using Platform.Inference.Serving;

namespace Platform.Services.Inference.OpenAi;

/// <summary>A validated request ready for an engine: <paramref name="Choices"/> sequences of <paramref name="Request"/> (OpenAI's n).</summary>
public sealed record PreparedRequest(ServingEngine Engine, string Model, EngineRequest Request, bool Stream, bool IncludeUsage, int Choices = 1)
{
    /// <summary>Whether the response carries logprobs.</summary>
    public bool Logprobs => Request.Parameters.Logprobs;

    /// <summary>
    /// For a completion with <c>echo</c>: the prompt as text, which each choice's text starts with (with logprobs, the
    /// prompt's tokens lead the logprobs too); null otherwise.
    /// </summary>
    public string? Echo { get; init; }

    /// <summary>
    /// Echo with <c>max_tokens: 0</c>: only the prompt (and its logprobs) is returned. The engine still samples one
    /// token from the prompt's last logits, in the prefill's own step, and the response leaves it out.
    /// </summary>
    public bool EchoOnly { get; init; }
}
