namespace Platform.Services.Rag.Clients;

/// <summary>Another platform service could not be reached, timed out, or failed (5xx): the request gets 503.</summary>
public sealed class ServiceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A knowledge base is missing or belongs to another tenant (the two are indistinguishable).</summary>
public sealed class KnowledgeBaseNotFoundException(Guid id) : Exception($"No knowledge base '{id}'.")
{
    public Guid KnowledgeBaseId { get; } = id;
}
