using System.Net;
using System.Text.Json;

namespace Platform.FineTune.Tests;

[Collection(ApiCollection.Name)]
public sealed class FilesApiTests(ApiStores stores) : IDisposable
{
    private readonly FineTuneFactory _factory = new(stores, worker: false);

    private const string Chat = """
        {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello there."}]}
        {"prompt":"Once upon a time","completion":" there was a cat."}
        """;

    [Fact]
    public async Task Upload_validates_counts_and_stores_a_dataset_that_can_be_listed_read_and_deleted()
    {
        var tenant = Guid.NewGuid();
        var client = _factory.For(tenant);
        var file = await (await client.UploadAsync(Chat)).JsonAsync(HttpStatusCode.OK);
        var id = file.GetProperty("id").GetString()!;
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal("fine-tune", file.GetProperty("purpose").GetString());
        Assert.Equal("processed", file.GetProperty("status").GetString());
        var summary = file.GetProperty("summary");
        Assert.Equal(2, summary.GetProperty("examples").GetInt32());
        var tokens = summary.GetProperty("tokens").GetInt64();
        Assert.InRange(summary.GetProperty("trainable_tokens").GetInt64(), 2, tokens - 1);
        Assert.Equal(tokens, summary.GetProperty("estimated_training_tokens_per_epoch").GetInt64());
        Assert.Equal(tokens * summary.GetProperty("default_epochs").GetInt32(), summary.GetProperty("estimated_training_tokens").GetInt64());
        Assert.Equal("stories260K", summary.GetProperty("model").GetString());

        var list = await client.GetJsonAsync("/v1/files");
        Assert.Equal([id], list.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
        Assert.Equal(id, (await client.GetJsonAsync($"/v1/files/{id}")).GetProperty("id").GetString());

        // Another tenant sees nothing of it.
        var other = _factory.For(Guid.NewGuid());
        await (await other.GetAsync($"/v1/files/{id}")).ErrorAsync(HttpStatusCode.NotFound);
        Assert.Empty((await other.GetJsonAsync("/v1/files")).GetProperty("data").EnumerateArray());
        await (await other.DeleteAsync($"/v1/files/{id}")).ErrorAsync(HttpStatusCode.NotFound);

        var deleted = await (await client.DeleteAsync($"/v1/files/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        await (await client.GetAsync($"/v1/files/{id}")).ErrorAsync(HttpStatusCode.NotFound);
        Assert.False(File.Exists(Path.Combine(stores.DataDir, "files", tenant.ToString(), id + ".jsonl")));
    }

    [Fact]
    public async Task A_bad_dataset_is_rejected_with_line_numbered_errors_and_nothing_is_stored()
    {
        var tenant = Guid.NewGuid();
        var client = _factory.For(tenant);
        var tooLong = JsonSerializer.Serialize(new { prompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a dog.", 120)), completion = " The end." });
        var jsonl = string.Join('\n',
            """{"prompt":"ok","completion":" fine"}""",
            """{"messages":[{"role":"user","content":"hi"}""",
            """{"messages":[{"role":"wizard","content":"hi"},{"role":"assistant","content":"yo"}]}""",
            """{"messages":[{"role":"user","content":"hi"}]}""",
            tooLong,
            """[1,2,3]""");
        var error = await (await client.UploadAsync(jsonl)).ErrorAsync(HttpStatusCode.BadRequest, "file");
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("5 invalid line(s)", message);
        Assert.Contains("line 2: invalid JSON", message);
        Assert.Contains("line 3: messages[0] has unknown role \"wizard\"", message);
        Assert.Contains("line 4: the example has no assistant message", message);
        Assert.Contains("line 5: the example is", message);
        Assert.Contains("longer than the model's context of 512", message);
        Assert.Contains("line 6: each line must be a JSON object", message);
        Assert.DoesNotContain("line 1:", message);

        Assert.Empty((await client.GetJsonAsync("/v1/files")).GetProperty("data").EnumerateArray());
        var dir = Path.Combine(stores.DataDir, "files", tenant.ToString());
        Assert.True(!Directory.Exists(dir) || Directory.GetFiles(dir).Length == 0);
    }

    [Fact]
    public async Task Uploads_with_a_wrong_purpose_name_size_or_model_are_rejected()
    {
        var client = _factory.For(Guid.NewGuid());
        await (await client.UploadAsync(Chat, purpose: "assistants")).ErrorAsync(HttpStatusCode.BadRequest, "purpose");
        await (await client.UploadAsync(Chat, filename: "train.csv")).ErrorAsync(HttpStatusCode.BadRequest, "file");
        await (await client.UploadAsync("", filename: "empty.jsonl")).ErrorAsync(HttpStatusCode.BadRequest, "file");
        await (await client.UploadAsync(Chat, model: "no-such-model")).ErrorAsync(HttpStatusCode.BadRequest, "model");
        await (await client.UploadAsync(Chat, model: "../stories260K")).ErrorAsync(HttpStatusCode.BadRequest, "model");
        await (await client.UploadAsync("\n\n")).ErrorAsync(HttpStatusCode.BadRequest, "file");
        var notUtf8 = await client.PostAsync("/v1/files", new MultipartFormDataContent
        {
            { new ByteArrayContent([0x7b, 0xff, 0xfe, 0x7d]), "file", "bin.jsonl" },
            { new StringContent("fine-tune"), "purpose" },
        });
        Assert.Contains("not UTF-8", (await notUtf8.ErrorAsync(HttpStatusCode.BadRequest, "file")).GetProperty("message").GetString());
        Assert.Empty((await client.GetJsonAsync("/v1/files")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Only_tenant_admins_and_finetune_keys_may_upload_but_members_may_read()
    {
        var tenant = Guid.NewGuid();
        await (await _factory.ForUser(tenant, "member").UploadAsync(Chat)).ErrorAsync(HttpStatusCode.Forbidden);
        await (await _factory.ForUser(tenant, "tenant_admin", "inference").UploadAsync(Chat)).ErrorAsync(HttpStatusCode.Forbidden);
        await (await _factory.CreateClient().UploadAsync(Chat)).ErrorAsync(HttpStatusCode.Unauthorized);
        await (await _factory.ForUser(tenant, "tenant_admin").UploadAsync(Chat)).JsonAsync(HttpStatusCode.OK);
        var list = await _factory.ForUser(tenant, "member", "inference").GetJsonAsync("/v1/files");
        Assert.Single(list.GetProperty("data").EnumerateArray());
    }

    public void Dispose() => _factory.Dispose();
}
