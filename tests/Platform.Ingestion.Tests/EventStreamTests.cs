using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Ingestion.Tests;

/// <summary>GET /v1/knowledge-bases/{id}/events: live ingestion events of that knowledge base only, for its own tenant only.</summary>
[Collection(StoresCollection.Name)]
public sealed class EventStreamTests(StoresFixture stores)
{
    [Fact]
    public async Task The_stream_carries_this_knowledge_bases_progress_to_ready_and_nothing_of_others()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var a = factory.ClientFor(tenant);
        var watched = await Api.CreateKbAsync(a, "watched");
        var other = await Api.CreateKbAsync(a, "other");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/knowledge-bases/{watched}/events");
        using var response = await a.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var (name, data) = await NextEventAsync(reader, timeout.Token);
        Assert.Equal("ready", name);
        Assert.Equal(watched, data.GetProperty("knowledge_base_id").GetGuid());

        // Subscribed: the other knowledge base's upload goes first, so its events would arrive before ours if they leaked.
        var otherDoc = await Api.UploadOkAsync(a, other, "other.txt", TestDocuments.Utf8("Rivers carry water to the sea."));
        Assert.Equal("ready", (await Api.SettledAsync(a, other, otherDoc)).GetProperty("status").GetString());
        var doc = await Api.UploadOkAsync(a, watched, "watched.txt", TestDocuments.Utf8("Etna is a volcano in Sicily that erupts often."));

        var seen = new List<JsonElement>();
        while (seen.Count == 0 || seen[^1].GetProperty("status").GetString() is not ("ready" or "failed"))
        {
            (name, data) = await NextEventAsync(reader, timeout.Token);
            Assert.Equal("ingestion", name);
            seen.Add(data);
        }
        Assert.All(seen, e => Assert.Equal(watched, e.GetProperty("knowledge_base_id").GetGuid()));
        Assert.All(seen, e => Assert.Equal(doc, e.GetProperty("document_id").GetGuid()));
        Assert.Equal("queued", seen[0].GetProperty("status").GetString());
        Assert.Contains(seen, e => e.GetProperty("status").GetString() == "processing");
        Assert.Equal("ready", seen[^1].GetProperty("status").GetString());
        Assert.True(seen[^1].GetProperty("chunks_total").GetInt32() >= 1);
    }

    [Fact]
    public async Task Another_tenants_or_a_missing_knowledge_base_is_404_and_a_scope_is_needed()
    {
        await using var factory = new IngestionFactory(stores);
        using var a = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(a, "private");
        using var b = factory.ClientFor(Guid.NewGuid());
        foreach (var path in new[] { $"/v1/knowledge-bases/{kb}/events", $"/v1/knowledge-bases/{Guid.NewGuid()}/events" })
        {
            using var response = await b.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("knowledge_base_not_found",
                (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        }
        using var inferenceOnly = factory.ClientFor(Guid.NewGuid(), "inference");
        using var forbidden = await inferenceOnly.GetAsync($"/v1/knowledge-bases/{kb}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    private static async Task<(string Name, JsonElement Data)> NextEventAsync(StreamReader reader, CancellationToken ct)
    {
        string? name = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
            {
                return (name, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
            }
        }
        throw new InvalidOperationException("The event stream ended.");
    }
}
