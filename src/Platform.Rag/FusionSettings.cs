namespace Platform.Rag;

/// <summary>How the vector and full-text result lists of a hybrid search are combined.</summary>
/// <param name="Method"><see cref="RelativeScore"/> (convex combination of min-max normalised scores) or <see cref="Rrf"/>.</param>
/// <param name="Alpha">Weight of the vector leg, 0–1; the full-text leg gets 1 − α (Weaviate's <c>alpha</c>).</param>
/// <param name="RrfK">The rank constant of <see cref="ReciprocalRankFusion"/> (Elasticsearch's <c>rank_constant</c>).</param>
public sealed record FusionSettings(string Method, double Alpha, int RrfK)
{
    /// <summary>Convex combination of each leg's min-max normalised scores (Weaviate's relativeScoreFusion).</summary>
    public const string RelativeScore = "relative_score";

    /// <summary>Weighted reciprocal rank fusion.</summary>
    public const string Rrf = "rrf";

    /// <summary>True for a known method name.</summary>
    public static bool IsMethod(string method) => method is RelativeScore or Rrf;
}
