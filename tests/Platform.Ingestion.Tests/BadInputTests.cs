using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class BadInputTests(StoresFixture stores)
{
    public static TheoryData<string, byte[], string> Cases => new()
    {
        { "broken.pdf", TestDocuments.Utf8("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"), "damaged" },
        { "locked.pdf", EncryptedPdf.Build("The vault code is seven seven three.", userPassword: "open-sesame", ownerPassword: "owner-secret"), "password-protected" },
        { "fake.pdf", TestDocuments.Utf8("just some text pretending to be a pdf"), "not a PDF" },
        { "bomb.docx", TestDocuments.ZipBomb(), "zip bomb" },
        { "notzip.docx", TestDocuments.Utf8("plain text in a docx name"), "not a Word document" },
        { "empty.txt", [], "empty" },
        { "program.exe", [0x4D, 0x5A, 0x90, 0x00], "not supported" },
        { "latin1.txt", [0x43, 0x61, 0x66, 0xE9, 0x20, 0x63, 0x72, 0xE8, 0x6D, 0x65], "not valid UTF-8" },
        { "bad.json", TestDocuments.Utf8("{\"a\": [1, 2,, }"), "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_documents_end_failed_with_a_reason_nothing_searchable_and_the_service_keeps_serving(string fileName, byte[] content, string reasonPart)
    {
        await using var factory = new IngestionFactory(stores, new() { ["Ingestion:MaxAttempts"] = "2" });
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "bad");
        var doc = await Api.UploadOkAsync(client, kb, fileName, content);
        var settled = await Api.SettledAsync(client, kb, doc);
        Assert.Equal("failed", settled.GetProperty("status").GetString());
        Assert.Contains(reasonPart, settled.GetProperty("failure_reason").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await Api.ChunksAsync(client, kb, doc));

        var good = await Api.UploadOkAsync(client, kb, "good.txt", TestDocuments.Utf8("The service still ingests good documents."));
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, good)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_with_413_and_listed_as_failed()
    {
        await using var factory = new IngestionFactory(stores, new() { ["Ingestion:MaxUploadBytes"] = "1000" });
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "limit");
        using var response = await Api.UploadAsync(client, kb, "big.txt", TestDocuments.Utf8(new string('a', 5000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("upload limit", error.GetProperty("error").GetProperty("message").GetString());
        var list = await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kb}/documents");
        var only = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("failed", only.GetProperty("status").GetString());
        Assert.Empty(Directory.EnumerateFiles(factory.DataDir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Invalid_requests_get_openai_shaped_400s()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        using var noName = await client.PostAsJsonAsync("/v1/knowledge-bases", new { name = "" });
        Assert.Equal(HttpStatusCode.BadRequest, noName.StatusCode);
        using var badModel = await client.PostAsJsonAsync("/v1/knowledge-bases", new { name = "x", embedding_model = "no-such-model" });
        Assert.Equal("embedding_model", (await badModel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
        using var badOverlap = await client.PostAsJsonAsync("/v1/knowledge-bases", new { name = "y", chunk_tokens = 32, chunk_overlap = 32 });
        Assert.Equal(HttpStatusCode.BadRequest, badOverlap.StatusCode);
        var kb = await Api.CreateKbAsync(client, "z");
        using var notMultipart = await client.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/documents", new { file = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, notMultipart.StatusCode);
    }
}
