namespace Platform.Ingestion.Storage;

/// <summary>
/// Okapi BM25 parameters of full-text search. score(chunk) = Σ over query terms of
/// IDF(t) · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)), with Lucene's IDF ln(1 + (N − df + 0.5)/(df + 0.5)),
/// N and df counted in chunks of the knowledge base. k1 0.9 and b 0.4 are Anserini's BEIR settings.
/// </summary>
public static class Bm25
{
    /// <summary>Term-frequency saturation: how fast repeated occurrences stop adding score.</summary>
    public const double K1 = 0.9;

    /// <summary>Length normalisation: 0 ignores chunk length, 1 divides fully by length / average length.</summary>
    public const double B = 0.4;
}
