using Platform.Portal.Gateway;

namespace Platform.Portal.Components.Shared;

/// <summary>Applies Ingestion's live events to the knowledge-base page's document rows.</summary>
public static class DocumentEvents
{
    /// <summary>The row after the event: its status, the failure reason only while failed, the chunk count once ready.</summary>
    public static DocumentView Apply(DocumentView document, IngestionEventView e, DateTimeOffset now) => document with
    {
        Status = e.Status,
        FailureReason = e.Status == "failed" ? e.Reason ?? document.FailureReason : null,
        ChunkCount = e.Status == "ready" ? e.ChunksTotal ?? document.ChunkCount : document.ChunkCount,
        UpdatedAt = now.ToUnixTimeSeconds(),
    };
}
