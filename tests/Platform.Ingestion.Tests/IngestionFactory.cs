using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.TestKit;

namespace Platform.Ingestion.Tests;

/// <summary>The real ingestion host, in process, on the test's PostgreSQL and Redis, with its own data folder.</summary>
public sealed class IngestionFactory(StoresFixture stores, Dictionary<string, string>? settings = null, string? dataDir = null) : WebApplicationFactory<Program>
{
    public string DataDir { get; } = dataDir ?? Path.Combine(Path.GetTempPath(), "ingestion-tests-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", stores.Postgres.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", stores.Redis.ConnectionString);
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        builder.UseSetting("Platform:DataDir", DataDir);
        builder.UseSetting("Ingestion:PollInterval", "00:00:00.050");
        builder.UseSetting("Ingestion:RetryBaseDelay", "00:00:00.200");
        foreach (var (key, value) in settings ?? [])
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient ClientFor(Guid tenant, params string[] scopes) => CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant, scopes)));
}

/// <summary>Calls the API the way the portal would.</summary>
public static class Api
{
    public static async Task<Guid> CreateKbAsync(HttpClient client, string name, int chunkTokens = 64, int overlap = 8)
    {
        using var response = await client.PostAsJsonAsync("/v1/knowledge-bases", new { name, chunk_tokens = chunkTokens, chunk_overlap = overlap });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, Guid kb, string fileName, byte[] content)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        return await client.PostAsync($"/v1/knowledge-bases/{kb}/documents", form);
    }

    public static async Task<Guid> UploadOkAsync(HttpClient client, Guid kb, string fileName, byte[] content)
    {
        using var response = await UploadAsync(client, kb, fileName, content);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> DocumentAsync(HttpClient client, Guid kb, Guid doc) =>
        await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kb}/documents/{doc}");

    /// <summary>Polls until the document is ready or failed (or the timeout passes) and returns it.</summary>
    public static async Task<JsonElement> SettledAsync(HttpClient client, Guid kb, Guid doc, int timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var document = await DocumentAsync(client, kb, doc);
            var status = document.GetProperty("status").GetString();
            if (status is "ready" or "failed" || DateTime.UtcNow > deadline)
            {
                return document;
            }
            await Task.Delay(50);
        }
    }

    public static async Task<JsonElement[]> ChunksAsync(HttpClient client, Guid kb, Guid doc) =>
        (await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kb}/documents/{doc}/chunks")).GetProperty("data").EnumerateArray().ToArray();

    public static async Task<JsonElement[]> SearchAsync(HttpClient client, Guid kb, string query, int k = 3, string mode = "vector")
    {
        using var response = await client.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/search", new { query, top_k = k, mode });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray().ToArray();
    }
}
