namespace Platform.Portal.Gateway;

// The service APIs' JSON (snake_case), as far as the portal reads it.

public sealed record ListView<T>(List<T> Data);

public sealed record KnowledgeBaseView(Guid Id, string Name, string? Description, string EmbeddingModel, int DocumentCount, long ChunkCount, long CreatedAt);

public sealed record DocumentView(Guid Id, Guid KnowledgeBaseId, string Filename, long Bytes, string Status, string? FailureReason, int ChunkCount, long UpdatedAt)
{
    public bool InFlight => Status is "queued" or "processing";
}

public sealed record ChunkView(Guid Id, Guid DocumentId, string? Filename, int Ordinal, string Content, List<string>? HeadingPath, double? Score);

public sealed record ModelView(string Id, string? Parent, int? MaxModelLen = null);

/// <summary>A retrieved chunk the answer was given (numbered like the prompt's sources).</summary>
public sealed record ChatSource(int Index, Guid ChunkId, Guid DocumentId, Guid KnowledgeBaseId, string? Title, int? Page);

/// <summary>A [n] marker the answer used, with the sentence it quotes.</summary>
public sealed record ChatCitation(int Index, Guid ChunkId, Guid DocumentId, Guid KnowledgeBaseId, string? Title, int? Page, string Quote);

/// <summary>What the playground sends: the new question only; earlier turns live in the RAG session.</summary>
public sealed record ChatAsk(string Model, IReadOnlyList<Guid> KnowledgeBaseIds, string Question, Guid? SessionId, double Temperature, int MaxTokens,
    double TopP = 1, int? Seed = null);

/// <summary>One step of a streamed answer: a text delta, or the final event with citations and sources.</summary>
public sealed record ChatStreamEvent(string? Delta, IReadOnlyList<ChatCitation>? Citations = null, IReadOnlyList<ChatSource>? Sources = null, Guid? SessionId = null);

/// <summary>One past conversation in the playground's list (GET /v1/rag/sessions).</summary>
public sealed record ChatSessionSummary(Guid Id, string Title, int Messages, long CreatedAt, long UpdatedAt);

/// <summary>A stored conversation (GET /v1/rag/sessions/{id}).</summary>
public sealed record ChatSessionView(Guid Id, List<ChatSessionMessage> Messages);

public sealed record ChatSessionMessage(string Role, string Content, List<ChatCitation>? Citations, long CreatedAt);

/// <summary>A document's progress as Ingestion publishes it (stage: queued, parsing, embedding, done, retrying, failed).</summary>
public sealed record IngestionEventView(string Type, Guid KnowledgeBaseId, Guid DocumentId, string Status, string? Stage, int? ChunksDone, int? ChunksTotal,
    string? Reason)
{
    /// <summary>The stream's first event: subscribed, nothing published from now on is missed.</summary>
    public static readonly IngestionEventView Ready = new("ready", Guid.Empty, Guid.Empty, "", null, null, null, null);

    public bool IsReady => Type == "ready";

    /// <summary>Percent of chunks embedded, when the stage reports them.</summary>
    public double? Percent => ChunksTotal is > 0 && ChunksDone is { } done ? 100.0 * done / ChunksTotal.Value : null;
}
