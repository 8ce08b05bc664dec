using Platform.Inference.Embeddings;
using Platform.Ingestion.Embeddings;

namespace Platform.Ingestion.Tests;

public sealed class EncoderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "random-bert-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bert_encoder_matches_a_naive_implementation_on_a_random_checkpoint(bool cls)
    {
        var bert = new RandomBert();
        bert.WriteTo(_dir, cls);
        using var model = SentenceTransformer.Load(_dir, "random-bert");
        Assert.Equal(cls ? PoolingMode.Cls : PoolingMode.Mean, model.Pooling);
        Assert.Equal(RandomBert.Hidden, model.Dimensions);

        string[] texts = ["the keeper saw birds", "the lighthouse", "calm sea . the keeper saw the lighthouse birds"];
        var vectors = model.Embed(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            var ids = model.Tokenize(texts[i]);
            var expected = bert.Embed(ids, cls);
            for (var j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], vectors[i][j], 4);
            }
        }
    }

    [Fact]
    public void WordPiece_tokenizes_with_the_vocab_and_truncates_at_the_max_length()
    {
        new RandomBert().WriteTo(_dir, cls: false);
        using var model = SentenceTransformer.Load(_dir, "random-bert");
        // [CLS] the light ##house [SEP]
        Assert.Equal([2, 5, 9, 10, 3], model.Tokenize("The lighthouse"));
        Assert.Equal(3, model.CountTokens("the lighthouse"));
        Assert.Equal(32, model.Tokenize(string.Join(' ', Enumerable.Repeat("sea", 40))).Count);
        Assert.True(SentenceTransformer.IsEncoderFolder(_dir));
        Assert.Contains("random", new EmbeddingModelCatalog(Path.GetDirectoryName(_dir)).Available().Single(id => id == Path.GetFileName(_dir)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
