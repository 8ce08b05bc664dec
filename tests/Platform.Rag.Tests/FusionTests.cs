namespace Platform.Rag.Tests;

public sealed class FusionTests
{
    private static readonly Guid KbA = Guid.NewGuid();

    private static RetrievedChunk Chunk(string content, double score, Guid? id = null, Guid? doc = null) =>
        new(id ?? Guid.NewGuid(), doc ?? Guid.NewGuid(), KbA, "doc.txt", content, null, null, [], score);

    [Fact]
    public void Relative_score_fusion_normalises_each_leg_and_weighs_them()
    {
        // Vector prefers a, full-text prefers b by far; raw scores live on different scales.
        var a = Chunk("alpha", 0);
        var b = Chunk("beta", 0);
        var c = Chunk("gamma", 0);
        IReadOnlyList<RetrievedChunk> vector = [a with { Score = 0.61 }, b with { Score = 0.60 }, c with { Score = 0.20 }];
        IReadOnlyList<RetrievedChunk> text = [b with { Score = 30 }, a with { Score = 3 }, c with { Score = 2 }];

        var fused = RelativeScoreFusion.Fuse([([vector], 0.5), ([text], 0.5)]);

        // b: 0.5 × (0.60 − 0.20)/0.41 + 0.5 × 1; a: 0.5 × 1 + 0.5 × (3 − 2)/28.
        Assert.Equal([b.Id, a.Id, c.Id], fused.Select(x => x.Id));
        Assert.Equal(0.5 * 0.40 / 0.41 + 0.5, fused[0].Score, 9);
        Assert.Equal(0.5 + 0.5 / 28, fused[1].Score, 9);
        Assert.Equal(0, fused[2].Score, 9);
    }

    [Fact]
    public void Relative_score_fusion_pools_a_legs_lists_and_keeps_a_chunks_best_score()
    {
        var shared = Guid.NewGuid();
        IReadOnlyList<RetrievedChunk> kb1 = [Chunk("x", 0.9, shared), Chunk("y", 0.1)];
        IReadOnlyList<RetrievedChunk> kb2 = [Chunk("x", 0.5, shared), Chunk("z", 0.7)];

        var fused = RelativeScoreFusion.Fuse([([kb1, kb2], 1.0)]);

        Assert.Equal(3, fused.Count);
        Assert.Equal(shared, fused[0].Id);
        Assert.Equal(1.0, fused[0].Score, 9);
        Assert.Equal(0.75, fused[1].Score, 9); // z: (0.7 − 0.1) / 0.8
    }

    [Fact]
    public void Weighted_rrf_multiplies_each_lists_contributions()
    {
        var a = Chunk("a", 0);
        var b = Chunk("b", 0);
        IReadOnlyList<RetrievedChunk> vector = [a, b];
        IReadOnlyList<RetrievedChunk> text = [b, a];

        var even = ReciprocalRankFusion.Fuse([(vector, 1.0), (text, 1.0)], k: 60);
        var textHeavy = ReciprocalRankFusion.Fuse([(vector, 0.2), (text, 0.8)], k: 60);

        Assert.Equal(even[0].Score, even[1].Score, 12);
        Assert.Equal([b.Id, a.Id], textHeavy.Select(x => x.Id));
        Assert.Equal(0.2 / 62 + 0.8 / 61, textHeavy[0].Score, 12);
    }

    [Theory]
    [InlineData(FusionSettings.RelativeScore)]
    [InlineData(FusionSettings.Rrf)]
    public void Alpha_moves_the_hybrid_order_between_the_legs(string method)
    {
        var a = Chunk("a", 0);
        var b = Chunk("b", 0);
        var legs = new RetrievalLegs([[a with { Score = 0.9 }, b with { Score = 0.1 }]], [[b with { Score = 9 }, a with { Score = 1 }]]);

        Assert.Equal(a.Id, HybridRanking.Rank(legs, 2, new FusionSettings(method, 0.9, 60), 1)[0].Id);
        Assert.Equal(b.Id, HybridRanking.Rank(legs, 2, new FusionSettings(method, 0.1, 60), 1)[0].Id);
    }

    [Fact]
    public void A_single_leg_gets_the_whole_weight_whatever_alpha_is()
    {
        var a = Chunk("first", 0.9);
        var b = Chunk("second", 0.5);
        var vectorOnly = new RetrievalLegs([[a, b]], []);

        var ranked = HybridRanking.Rank(vectorOnly, 2, new FusionSettings(FusionSettings.RelativeScore, Alpha: 0, RrfK: 60), 1);

        Assert.Equal([a.Id, b.Id], ranked.Select(x => x.Id));
        Assert.Equal(1.0, ranked[0].Score, 9);
    }

    [Fact]
    public void The_document_filter_applies_to_both_legs_before_fusion()
    {
        var keep = Guid.NewGuid();
        var kept = Chunk("kept", 0.2, doc: keep);
        var dropped = Chunk("dropped", 0.9);
        var legs = new RetrievalLegs([[dropped, kept]], [[dropped with { Score = 5 }, kept with { Score = 1 }]]);

        var ranked = HybridRanking.Rank(legs, 5, new FusionSettings(FusionSettings.RelativeScore, 0.2, 60), 1, new HashSet<Guid> { keep });

        Assert.Equal([kept.Id], ranked.Select(x => x.Id));
    }

    [Fact]
    public void Unknown_method_or_alpha_outside_0_to_1_is_refused()
    {
        var legs = new RetrievalLegs([[Chunk("a", 1)]], []);
        Assert.Throws<ArgumentOutOfRangeException>(() => HybridRanking.Rank(legs, 1, new FusionSettings("borda", 0.2, 60), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HybridRanking.Rank(legs, 1, new FusionSettings(FusionSettings.Rrf, 1.5, 60), 1));
    }
}
