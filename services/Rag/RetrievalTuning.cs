namespace Platform.Services.Rag;

/// <summary>Per-request overrides of the fusion settings; null fields take the <see cref="RagOptions"/> defaults.</summary>
public sealed record RetrievalTuning(string? Fusion = null, double? Alpha = null, int? RrfK = null, double? MmrLambda = null);
