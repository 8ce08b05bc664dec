using System.Text;
using Npgsql;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class WorkerCrashTests(StoresFixture stores)
{
    [Fact]
    public async Task A_worker_stopped_mid_job_leaves_no_partial_chunks_and_a_restarted_one_completes_with_the_clean_run_count()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 600; i++)
        {
            text.Append($"Section {i} describes component {i * 31 % 997} of the turbine in plain words.\n\n");
        }
        var content = TestDocuments.Utf8(text.ToString());
        var settings = new Dictionary<string, string>
        {
            ["Ingestion:Workers"] = "1",
            ["Ingestion:EmbeddingBatchSize"] = "1",
            ["Ingestion:Lease"] = "00:00:02",
        };
        var tenant = Guid.NewGuid();

        int cleanCount;
        await using (var clean = new IngestionFactory(stores, settings))
        {
            using var client = clean.ClientFor(tenant);
            var kb = await Api.CreateKbAsync(client, "clean", chunkTokens: 16, overlap: 0);
            var doc = await Api.UploadOkAsync(client, kb, "turbine.txt", content);
            var done = await Api.SettledAsync(client, kb, doc, timeoutSeconds: 120);
            Assert.Equal("ready", done.GetProperty("status").GetString());
            cleanCount = done.GetProperty("chunk_count").GetInt32();
        }

        var dataDir = Path.Combine(Path.GetTempPath(), "ingestion-crash-" + Guid.NewGuid().ToString("N"));
        Guid crashKb, crashDoc;
        var first = new IngestionFactory(stores, settings, dataDir);
        using (var client = first.ClientFor(tenant))
        {
            crashKb = await Api.CreateKbAsync(client, "crash", chunkTokens: 16, overlap: 0);
            crashDoc = await Api.UploadOkAsync(client, crashKb, "turbine.txt", content);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await Api.DocumentAsync(client, crashKb, crashDoc)).GetProperty("status").GetString() != "processing" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
            Assert.Equal("processing", (await Api.DocumentAsync(client, crashKb, crashDoc)).GetProperty("status").GetString());
        }
        // Stop the host mid-embedding: the worker abandons the job as a killed process would.
        await first.DisposeAsync();

        await using (var ds = stores.Postgres.CreateDataSource())
        await using (var cmd = ds.CreateCommand("SELECT (SELECT count(*) FROM ingestion.chunks WHERE document_id = @d), (SELECT status FROM ingestion.jobs WHERE document_id = @d)"))
        {
            cmd.Parameters.AddWithValue("d", crashDoc);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(0L, reader.GetInt64(0));
            Assert.Equal("running", reader.GetString(1));
        }

        await using var second = new IngestionFactory(stores, settings, dataDir);
        using var again = second.ClientFor(tenant);
        var settled = await Api.SettledAsync(again, crashKb, crashDoc, timeoutSeconds: 120);
        Assert.Equal("ready", settled.GetProperty("status").GetString());
        Assert.Equal(cleanCount, settled.GetProperty("chunk_count").GetInt32());
        Assert.Equal(cleanCount, (await Api.ChunksAsync(again, crashKb, crashDoc)).Length);
    }
}
