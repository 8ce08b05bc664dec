using Platform.Inference.Embeddings;
using Platform.Ingestion.Chunking;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Parsing;

namespace Platform.Ingestion.Tests;

public sealed class ChunkerTests
{
    private static readonly LexicalEmbedder Lexical = new();

    [Fact]
    public void Chunks_respect_the_token_limit_keep_blocks_whole_and_their_offsets_point_into_the_text()
    {
        var blocks = new List<TextBlock> { new(BlockKind.Heading, "Intro", HeadingLevel: 1) };
        blocks.AddRange(Enumerable.Range(0, 30).Select(i => new TextBlock(BlockKind.Paragraph, $"Sentence {i} has exactly seven words here.")));
        blocks.Add(new TextBlock(BlockKind.Heading, "Code", HeadingLevel: 2));
        blocks.Add(new TextBlock(BlockKind.Code, "int x = 1;\nint y = 2;"));
        var result = new StructuredChunker(Lexical.CountTokens).Chunk(new ParsedDocument(blocks), new ChunkingOptions(40, 10));

        Assert.All(result.Chunks, c =>
        {
            Assert.True(Lexical.CountTokens(c.Content) <= 40, c.Content);
            Assert.Equal(c.Content, result.Text[c.CharStart..c.CharEnd]);
            Assert.Equal(Lexical.CountTokens(c.Content), c.TokenCount);
        });
        Assert.All(result.Chunks.SkipLast(1), c => Assert.Equal(["Intro"], c.HeadingPath));
        var last = result.Chunks[^1];
        Assert.Equal(["Intro", "Code"], last.HeadingPath);
        Assert.Equal("Code\n\nint x = 1;\nint y = 2;", last.Content);
        // Overlap: the second chunk starts with the paragraph that ended the first.
        Assert.StartsWith(result.Text[result.Chunks[1].CharStart..].Split("\n\n")[0], result.Text[result.Chunks[0].CharStart..result.Chunks[0].CharEnd].Split("\n\n")[^1]);
    }

    [Fact]
    public void An_oversized_paragraph_splits_at_sentences_then_words()
    {
        var sentence = string.Join(' ', Enumerable.Range(0, 12).Select(i => "word" + i)) + ".";
        var huge = string.Join(' ', Enumerable.Repeat(sentence, 6)) + " " + string.Join(' ', Enumerable.Range(0, 100).Select(i => "x" + i));
        var result = new StructuredChunker(Lexical.CountTokens).Chunk(new ParsedDocument([new TextBlock(BlockKind.Paragraph, huge)]), new ChunkingOptions(30, 0));
        Assert.All(result.Chunks, c => Assert.True(c.TokenCount <= 30));
        Assert.Equal(sentence + " " + sentence, result.Chunks[0].Content);
        Assert.Equal(string.Join(' ', huge.Split(' ')), string.Join(' ', result.Chunks.Select(c => c.Content)));
    }

    [Fact]
    public void Normalisation_composes_unicode_and_collapses_whitespace_but_code_keeps_lines()
    {
        Assert.Equal("Café au lait", TextNormalizer.Prose("  Cafe\u0301 \t au\u00A0\n lait\u200B "));
        Assert.Equal("if (x)\n    y();", TextNormalizer.Preformatted("if (x)   \r\n\ty();\r\n\r\n"));
    }
}

public sealed class LexicalEmbedderTests
{
    [Fact]
    public void Vectors_are_deterministic_unit_length_and_closer_for_shared_words()
    {
        var embedder = new LexicalEmbedder();
        var v = embedder.Embed(["The lighthouse keeper counted albatrosses", "The lighthouse keeper counted albatrosses",
            "albatrosses counted by the keeper", "Quarterly revenue grew in the retail segment", "---"]);
        Assert.Equal(v[0], v[1]);
        Assert.All(v, x => Assert.Equal(1.0, Math.Sqrt(x.Sum(f => (double)f * f)), 5));
        Assert.All(v, x => Assert.Equal(384, x.Length));
        Assert.True(Dot(v[0], v[2]) > 0.5, $"{Dot(v[0], v[2])}");
        Assert.True(Dot(v[0], v[3]) < Dot(v[0], v[2]) - 0.3);
        Assert.Equal(7, embedder.CountTokens("Hello, world! It's")); // Hello , world ! It ' s
    }

    [Fact]
    public void V2_is_the_default_with_1024_dimensions_and_ignores_stop_words_and_plurals()
    {
        var embedder = LexicalEmbedder.Create();
        Assert.Equal(LexicalEmbedder.DefaultId, embedder.Id);
        Assert.Equal("platform-lexical-v2", embedder.Id);
        var v = embedder.Embed(["The keepers of the lighthouses", "keeper lighthouse", "lighthouse keeper", "the of and", "---",
            "Quarterly revenue grew in the retail segment"]);
        Assert.All(v, x => Assert.Equal(1024, x.Length));
        Assert.All(v, x => Assert.Equal(1.0, Math.Sqrt(x.Sum(f => (double)f * f)), 5));
        // Stop words dropped and plurals folded: the same terms and the same bigram.
        Assert.Equal(1.0, Dot(v[0], v[1]), 5);
        // Same words in another order: the words agree, the bigram does not.
        Assert.InRange(Dot(v[1], v[2]), 0.8, 0.95); // 2 / 2.25 without collisions
        // Only stop words is like no words at all: the fixed vector.
        Assert.Equal(v[4], v[3]);
        Assert.True(Dot(v[1], v[5]) < 0.2, $"{Dot(v[1], v[5])}");
    }

    [Fact]
    public void V1_is_unchanged_so_knowledge_bases_built_with_it_keep_matching_their_chunks()
    {
        var v1 = LexicalEmbedder.FromId(LexicalEmbedder.V1Id)!;
        var v2 = LexicalEmbedder.FromId(LexicalEmbedder.DefaultId)!;
        const string text = "The lighthouse keepers counted albatrosses";
        Assert.Equal(new LexicalEmbedder().Embed([text])[0], v1.Embed([text])[0]);
        Assert.Equal(384, v1.Dimensions);
        Assert.Equal(LexicalEmbedder.Create().Embed([text])[0], v2.Embed([text])[0]);
        Assert.Equal(v1.CountTokens(text), v2.CountTokens(text));
    }

    [Theory]
    [InlineData("platform-lexical-v1", 384)]
    [InlineData("platform-lexical-v2", 1024)]
    [InlineData("platform-lexical-v2-512", 512)]
    [InlineData("platform-lexical-v1-64", 64)]
    public void Ids_name_a_version_and_dimension_and_round_trip(string id, int dimensions)
    {
        var embedder = LexicalEmbedder.FromId(id);
        Assert.NotNull(embedder);
        Assert.Equal(id, embedder.Id);
        Assert.Equal(dimensions, embedder.Dimensions);
        Assert.IsType<LexicalEmbedder>(new EmbeddingModelCatalog(null).Find(id));
    }

    [Theory]
    [InlineData("platform-lexical-v3")]
    [InlineData("platform-lexical-v2-8")]
    [InlineData("platform-lexical-v2-4096")]
    [InlineData("platform-lexical-v2-0512")]
    [InlineData("platform-lexical-v2-x")]
    [InlineData("platform-lexical")]
    public void Unknown_lexical_ids_are_not_found(string id)
    {
        Assert.Null(LexicalEmbedder.FromId(id));
        Assert.Null(new EmbeddingModelCatalog(null).Find(id));
    }

    [Theory]
    [InlineData("studies", "study")]
    [InlineData("cells", "cell")]
    [InlineData("glasses", "glasse")]
    [InlineData("virus", "virus")]
    [InlineData("class", "class")]
    [InlineData("is", "is")]
    [InlineData("shoes", "shoe")]
    public void Plural_stemmer_folds_plurals_only(string word, string stem) => Assert.Equal(stem, PluralStemmer.Stem(word));

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
