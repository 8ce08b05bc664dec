using Platform.Inference.Serving;

namespace Platform.Services.Inference.OpenAi;

/// <summary>A validated request ready for an engine.</summary>
public sealed record PreparedRequest(ServingEngine Engine, string Model, EngineRequest Request, bool Stream, bool IncludeUsage)
{
    /// <summary>Whether the response carries logprobs.</summary>
    public bool Logprobs => Request.Parameters.Logprobs;
}
