using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class EndToEndTests(StoresFixture stores)
{
    public static TheoryData<string, string> Formats => new()
    {
        { "notes.txt", "txt" }, { "guide.md", "md" }, { "page.html", "html" }, { "report.pdf", "pdf" },
        { "memo.docx", "docx" }, { "records.json", "json" }, { "records.jsonl", "jsonl" },
    };

    private const string Known = "The lighthouse keeper recorded seventeen migrating albatrosses";

    private const string Filler = "Winds were calm and the sea was flat all morning while the supply boat unloaded crates of tinned food and lamp oil";

    private static byte[] Build(string format) => format switch
    {
        "txt" => TestDocuments.Utf8($"Weather log for the northern station.\n\nWinds were calm and the sea was flat all morning.\n\n{Known} on Tuesday.\n"),
        "md" => TestDocuments.Utf8($"# Field guide\n\n## Birds\n\n{Known} on Tuesday.\n\n## Code\n\n```python\nprint('hello')\n```\n\n- first item\n- second item\n"),
        "html" => TestDocuments.Utf8($"<html><head><title>t</title><style>.x{{color:red}}</style><script>var secret='scriptword';</script></head>" +
                                     $"<body><h1>Station</h1><p>Winds were calm.</p><h2>Birds</h2><p>{Known} on Tuesday.</p></body></html>"),
        "pdf" => TestDocuments.Pdf(Filler + ".", $"{Known} on Tuesday."),
        "docx" => TestDocuments.Docx("Station report", Filler + ".", $"{Known} on Tuesday."),
        "json" => TestDocuments.Utf8($$"""[{"day":"Monday","note":"{{Filler}}."},{"day":"Tuesday","note":"{{Known}}."}]"""),
        "jsonl" => TestDocuments.Utf8($$"""{"day":"Monday","note":"{{Filler}}."}""" + "\n" + $$"""{"day":"Tuesday","note":"{{Known}}."}""" + "\n"),
        _ => throw new ArgumentException(format),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Each_format_becomes_chunks_with_metadata_and_the_known_sentence_is_the_nearest_neighbour(string fileName, string format)
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var kb = await Api.CreateKbAsync(client, "kb-" + format, chunkTokens: 24, overlap: 0);
        var redis = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString);
        var events = new List<JsonElement>();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"ingestion:events:{tenant}"), (_, m) =>
        {
            lock (events)
            {
                events.Add(JsonDocument.Parse(m.ToString()).RootElement.Clone());
            }
        });

        var doc = await Api.UploadOkAsync(client, kb, fileName, Build(format));
        var settled = await Api.SettledAsync(client, kb, doc);
        Assert.Equal("ready", settled.GetProperty("status").GetString());

        var chunks = await Api.ChunksAsync(client, kb, doc);
        Assert.True(chunks.Length >= 2, $"{format}: {chunks.Length} chunks");
        Assert.Equal(settled.GetProperty("chunk_count").GetInt32(), chunks.Length);
        Assert.All(chunks, c =>
        {
            Assert.Equal(doc, c.GetProperty("document_id").GetGuid());
            Assert.True(c.GetProperty("char_end").GetInt32() > c.GetProperty("char_start").GetInt32());
            Assert.True(c.GetProperty("token_count").GetInt32() <= 24);
        });
        Assert.Equal(Enumerable.Range(0, chunks.Length), chunks.Select(c => c.GetProperty("ordinal").GetInt32()));
        Assert.DoesNotContain(chunks, c => c.GetProperty("content").GetString()!.Contains("scriptword") || c.GetProperty("content").GetString()!.Contains("color:red"));

        var hits = await Api.SearchAsync(client, kb, "how many albatrosses did the lighthouse keeper record", k: 1);
        Assert.Contains("seventeen migrating albatrosses", hits[0].GetProperty("content").GetString());
        Assert.Equal(fileName, hits[0].GetProperty("filename").GetString());

        var known = chunks.Single(c => c.GetProperty("content").GetString()!.Contains("albatrosses"));
        switch (format)
        {
            case "pdf":
                Assert.Equal(2, known.GetProperty("page_start").GetInt32());
                Assert.Equal(2, settled.GetProperty("page_count").GetInt32());
                break;
            case "md":
                Assert.Equal(["Field guide", "Birds"], known.GetProperty("heading_path").EnumerateArray().Select(e => e.GetString()));
                Assert.Contains(chunks, c => c.GetProperty("content").GetString()!.StartsWith("Code\n\nprint('hello')", StringComparison.Ordinal));
                break;
            case "html":
                Assert.Equal(["Station", "Birds"], known.GetProperty("heading_path").EnumerateArray().Select(e => e.GetString()));
                break;
            case "docx":
                Assert.Equal(["Station report"], known.GetProperty("heading_path").EnumerateArray().Select(e => e.GetString()));
                break;
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline && !HasReady(events, doc))
        {
            await Task.Delay(50);
        }
        Assert.True(HasReady(events, doc), "a 'ready' progress event was published on ingestion:events:<tenant>");
        await redis.DisposeAsync();
    }

    private static bool HasReady(List<JsonElement> events, Guid doc)
    {
        lock (events)
        {
            return events.Any(e => e.GetProperty("document_id").GetGuid() == doc && e.GetProperty("status").GetString() == "ready");
        }
    }

    [Fact]
    public async Task Same_content_twice_is_one_document_and_reingest_replaces_chunks_without_duplicates_and_delete_removes_them()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "dedupe", chunkTokens: 16, overlap: 4);
        var content = TestDocuments.Utf8(string.Join("\n\n", Enumerable.Range(0, 20).Select(i => $"Paragraph number {i} talks about topic {i * 7}.")));
        var first = await Api.UploadOkAsync(client, kb, "a.txt", content);
        using (var again = await Api.UploadAsync(client, kb, "a-copy.txt", content))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(first, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        }
        var ready = await Api.SettledAsync(client, kb, first);
        var count = ready.GetProperty("chunk_count").GetInt32();
        Assert.True(count > 1);

        using (var reingest = await client.PostAsync($"/v1/knowledge-bases/{kb}/documents/{first}/reingest", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, reingest.StatusCode);
        }
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, first)).GetProperty("status").GetString());
        Assert.Equal(count, (await Api.ChunksAsync(client, kb, first)).Length);
        var list = await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kb}/documents");
        Assert.Single(list.GetProperty("data").EnumerateArray());

        using (var delete = await client.DeleteAsync($"/v1/knowledge-bases/{kb}/documents/{first}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }
        Assert.Empty(await Api.SearchAsync(client, kb, "Paragraph number", mode: "text"));
        using var gone = await client.GetAsync($"/v1/knowledge-bases/{kb}/documents/{first}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
