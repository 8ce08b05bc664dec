namespace Platform.Rag.Tests;

/// <summary>The relevance cutoff on the vector leg's cosine similarity (min_relevance), pure.</summary>
public sealed class RelevanceCutoffTests
{
    private static readonly FusionSettings Default = new(FusionSettings.RelativeScore, 0.1, 60);

    private static RetrievedChunk Chunk(string content, double score) =>
        new(Guid.NewGuid(), Guid.NewGuid(), Guid.Empty, content + ".txt", content, null, null, [], score);

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(0.35, true)]
    [InlineData(1.0, true)]
    [InlineData(-0.01, false)]
    [InlineData(1.01, false)]
    [InlineData(double.NaN, false)]
    public void A_cutoff_is_a_similarity_from_0_to_1(double value, bool valid)
    {
        Assert.Equal(valid, RelevanceCutoff.IsValid(value));
        if (!valid)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => RelevanceCutoff.Apply([], new Dictionary<Guid, double>(), value));
        }
    }

    [Fact]
    public void Apply_attaches_similarities_keeps_the_order_and_drops_chunks_below_the_cutoff_or_without_a_similarity()
    {
        var (a, b, c, d) = (Chunk("a", 1.0), Chunk("b", 0.8), Chunk("c", 0.5), Chunk("d", 0.1));
        var similarities = new Dictionary<Guid, double> { [a.Id] = 0.2, [b.Id] = 0.7, [c.Id] = 0.4 }; // d: not returned by the vector leg

        var all = RelevanceCutoff.Apply([a, b, c, d], similarities, null);
        Assert.Equal([0.2, 0.7, 0.4, null], all.Select(x => x.Relevance));
        Assert.Equal([a.Id, b.Id, c.Id, d.Id], all.Select(x => x.Id));

        var kept = RelevanceCutoff.Apply([a, b, c, d], similarities, 0.4);
        Assert.Equal([b.Id, c.Id], kept.Select(x => x.Id)); // 0.4 itself passes
        Assert.Equal([0.8, 0.5], kept.Select(x => x.Score)); // the fused score is untouched
        Assert.Empty(RelevanceCutoff.Apply([a, b, c, d], similarities, 0.71));
    }

    [Fact]
    public void Similarities_pool_a_legs_lists_keeping_a_chunks_best()
    {
        var x = Chunk("x", 0.3);
        var similarities = RelevanceCutoff.Similarities([[x, Chunk("y", 0.2)], [x with { Score = 0.6 }]]);
        Assert.Equal(0.6, similarities[x.Id]);
        Assert.Equal(2, similarities.Count);
    }

    [Fact]
    public void In_hybrid_the_cutoff_applies_to_cosine_similarity_not_to_the_fused_score_whose_best_is_always_1()
    {
        // A weak query: every vector similarity is low, yet relative-score fusion still gives its best hit 1.0.
        var (a, b, c) = (Chunk("alpha", 0), Chunk("beta", 0), Chunk("gamma", 0));
        var legs = new RetrievalLegs([[b with { Score = 0.12 }, a with { Score = 0.10 }, c with { Score = 0.02 }]],
            [[b with { Score = 4.0 }, c with { Score = 1.0 }]]);

        var unfiltered = HybridRanking.Rank(legs, 10, Default, 1);
        Assert.Equal(1.0, unfiltered[0].Score, 9);
        Assert.Equal([b.Id, a.Id, c.Id], unfiltered.Select(x => x.Id));
        Assert.Equal([0.12, 0.10, 0.02], unfiltered.Select(x => x.Relevance));

        Assert.Empty(HybridRanking.Rank(legs, 10, Default, 1, minRelevance: 0.2));
        // The cutoff removes; the survivors keep the unfiltered order and scores.
        var kept = HybridRanking.Rank(legs, 10, Default, 1, minRelevance: 0.05);
        Assert.Equal([b.Id, a.Id], kept.Select(x => x.Id));
        Assert.Equal([unfiltered[0].Score, unfiltered[1].Score], kept.Select(x => x.Score));
    }

    [Fact]
    public void The_cutoff_fills_top_k_from_below_it_and_reads_similarities_from_the_longer_scoring_lists()
    {
        // Full-text mode with a cutoff: the vector leg ran only to score; a full-text hit it did not return is dropped.
        var (a, b, c, d) = (Chunk("a", 0), Chunk("b", 0), Chunk("c", 0), Chunk("d", 0));
        var legs = new RetrievalLegs([], [[a with { Score = 9 }, b with { Score = 8 }, c with { Score = 7 }, d with { Score = 6 }]],
            Similarity: [[c with { Score = 0.9 }, a with { Score = 0.1 }, d with { Score = 0.6 }]]);

        var top2 = HybridRanking.Rank(legs, 2, Default, 1, minRelevance: 0.5);

        Assert.Equal([c.Id, d.Id], top2.Select(x => x.Id)); // b has no similarity; a is below; c and d fill top 2
        Assert.Equal([0.9, 0.6], top2.Select(x => x.Relevance));
    }

    [Fact]
    public void A_document_filter_and_the_cutoff_both_hold()
    {
        var (a, b) = (Chunk("a", 0.9), Chunk("b", 0.8));
        var legs = new RetrievalLegs([[a, b]], []);
        var onlyA = HybridRanking.Rank(legs, 5, Default, 1, new HashSet<Guid> { a.DocumentId }, minRelevance: 0.5);
        Assert.Equal(a.Id, Assert.Single(onlyA).Id);
        Assert.Equal(b.Id, Assert.Single(HybridRanking.Rank(legs, 5, Default, 1, new HashSet<Guid> { b.DocumentId }, minRelevance: 0.5)).Id);
        Assert.Empty(HybridRanking.Rank(legs, 5, Default, 1, new HashSet<Guid> { b.DocumentId }, minRelevance: 0.85));
    }
}
