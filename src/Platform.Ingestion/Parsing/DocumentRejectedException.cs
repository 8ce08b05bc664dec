namespace Platform.Ingestion.Parsing;

/// <summary>
/// The document cannot be ingested as it is (corrupt, encrypted, empty, wrong type, too large, not
/// text…). The message is written for the person who uploaded it and is stored as the document's
/// failure reason; retrying does not help, so the job is not retried.
/// </summary>
public sealed class DocumentRejectedException(string reason, Exception? inner = null) : Exception(reason, inner);
