using System.Net;

namespace Platform.Ingestion.Tests;

/// <summary>Full-text search ranks by BM25 against the knowledge base's statistics, kept in step with its chunks.</summary>
[Collection(StoresCollection.Name)]
public sealed class Bm25RankingTests(StoresFixture stores)
{
    [Fact]
    public async Task A_rare_query_term_outranks_repeats_of_a_common_one_and_statistics_follow_deletes()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var kb = await Api.CreateKbAsync(client, "bm25");
        var docs = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            docs.Add(await Api.UploadOkAsync(client, kb, $"filler{i}.txt", TestDocuments.Utf8($"Each protein folds into shape number {i} in the cell.")));
        }
        // Many occurrences of the common term: ts_rank_cd put this first; BM25 saturates tf and weighs "protein" near zero.
        var common = await Api.UploadOkAsync(client, kb, "common.txt", TestDocuments.Utf8("Protein, protein, protein: every protein is a protein."));
        var rare = await Api.UploadOkAsync(client, kb, "rare.txt", TestDocuments.Utf8("A zymogen is an inactive enzyme precursor that waits for activation."));
        foreach (var doc in docs.Append(common).Append(rare))
        {
            Assert.Equal("ready", (await Api.SettledAsync(client, kb, doc)).GetProperty("status").GetString());
        }

        var hits = await Api.SearchAsync(client, kb, "proteins or zymogens", k: 10, mode: "text");
        Assert.Equal(8, hits.Length);
        Assert.Equal("rare.txt", hits[0].GetProperty("filename").GetString());
        Assert.Equal("common.txt", hits[1].GetProperty("filename").GetString());
        var scores = hits.Select(h => h.GetProperty("score").GetDouble()).ToArray();
        Assert.True(scores[0] > 2 * scores[1], string.Join(", ", scores));
        Assert.Equal(scores.OrderDescending(), scores);

        // Each filler is one chunk of N = 8 holding "protein" once; corpus_stats and term_stats must say so.
        var (chunks, freq) = await StatsAsync(tenant, kb, "protein");
        Assert.Equal((8L, 7), (chunks, freq));

        using (var delete = await client.DeleteAsync($"/v1/knowledge-bases/{kb}/documents/{rare}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }
        Assert.Empty(await Api.SearchAsync(client, kb, "zymogen", k: 10, mode: "text"));
        Assert.Equal((7L, 7), await StatsAsync(tenant, kb, "protein"));
        Assert.Equal((7L, 0), await StatsAsync(tenant, kb, "zymogen"));
    }

    private async Task<(long Chunks, int Freq)> StatsAsync(Guid tenant, Guid kb, string term)
    {
        await using var ds = stores.Postgres.CreateDataSource();
        await using var scope = await Platform.Data.TenantScope.BeginAsync(ds, tenant);
        await using var cmd = scope.CreateCommand("""
            SELECT cs.chunk_count, coalesce((SELECT ts.chunk_freq FROM ingestion.term_stats ts WHERE ts.knowledge_base_id = @kb AND ts.term = @term), 0),
                   cs.total_terms = (SELECT sum(c.term_count) FROM ingestion.chunks c WHERE c.knowledge_base_id = @kb)
              FROM ingestion.corpus_stats cs WHERE cs.knowledge_base_id = @kb
            """);
        cmd.Parameters.AddWithValue("kb", kb);
        cmd.Parameters.AddWithValue("term", term);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.GetBoolean(2), "total_terms disagrees with the chunks");
        return (reader.GetInt64(0), reader.GetInt32(1));
    }
}
