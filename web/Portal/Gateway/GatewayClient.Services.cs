using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Platform.Portal.Gateway;

/// <summary>The service APIs behind the gateway (ingestion, RAG, inference), called as the signed-in person.</summary>
public sealed partial class GatewayClient
{
    public async Task<List<KnowledgeBaseView>> ListKnowledgeBasesAsync(string token, CancellationToken ct) =>
        (await SendAsync<ListView<KnowledgeBaseView>>(Authorized(HttpMethod.Get, "/v1/knowledge-bases", token), ct, SnakeJson)).Data;

    public Task<KnowledgeBaseView> GetKnowledgeBaseAsync(string token, Guid id, CancellationToken ct) =>
        SendAsync<KnowledgeBaseView>(Authorized(HttpMethod.Get, $"/v1/knowledge-bases/{id}", token), ct, SnakeJson);

    public Task<KnowledgeBaseView> CreateKnowledgeBaseAsync(string token, string name, string? description, CancellationToken ct)
    {
        var request = Authorized(HttpMethod.Post, "/v1/knowledge-bases", token);
        request.Content = JsonContent.Create(new { name, description }, options: SnakeJson);
        return SendAsync<KnowledgeBaseView>(request, ct, SnakeJson);
    }

    public Task DeleteKnowledgeBaseAsync(string token, Guid id, CancellationToken ct) =>
        DeleteAsync(token, $"/v1/knowledge-bases/{id}", ct);

    public async Task<List<DocumentView>> ListDocumentsAsync(string token, Guid kb, CancellationToken ct) =>
        (await SendAsync<ListView<DocumentView>>(Authorized(HttpMethod.Get, $"/v1/knowledge-bases/{kb}/documents", token), ct, SnakeJson)).Data;

    /// <summary>Streams one file to ingestion as multipart (the gateway passes the body through).</summary>
    public Task<DocumentView> UploadDocumentAsync(string token, Guid kb, string fileName, Stream content, CancellationToken ct)
    {
        var file = new StreamContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var form = new MultipartFormDataContent { { file, "file", fileName } };
        var request = Authorized(HttpMethod.Post, $"/v1/knowledge-bases/{kb}/documents", token);
        request.Content = form;
        return SendAsync<DocumentView>(request, ct, SnakeJson);
    }

    public Task DeleteDocumentAsync(string token, Guid kb, Guid document, CancellationToken ct) =>
        DeleteAsync(token, $"/v1/knowledge-bases/{kb}/documents/{document}", ct);

    public async Task<List<ChunkView>> ListChunksAsync(string token, Guid kb, Guid document, CancellationToken ct) =>
        (await SendAsync<ListView<ChunkView>>(Authorized(HttpMethod.Get, $"/v1/knowledge-bases/{kb}/documents/{document}/chunks", token), ct, SnakeJson)).Data;

    public async Task<List<ChunkView>> SearchAsync(string token, Guid kb, string query, int topK, CancellationToken ct)
    {
        var request = Authorized(HttpMethod.Post, $"/v1/knowledge-bases/{kb}/search", token);
        request.Content = JsonContent.Create(new { query, top_k = topK }, options: SnakeJson);
        return (await SendAsync<ListView<ChunkView>>(request, ct, SnakeJson)).Data;
    }

    public async Task<List<ModelView>> ListModelsAsync(string token, CancellationToken ct) =>
        (await SendAsync<ListView<ModelView>>(Authorized(HttpMethod.Get, "/v1/models", token), ct, SnakeJson)).Data;

    /// <summary>
    /// Asks /v1/rag/chat/completions with <c>stream: true</c> and yields the text deltas, then one final
    /// event with the citations, the sources and the session id. A failure mid-stream throws
    /// <see cref="GatewayException"/> with the service's message.
    /// </summary>
    public async IAsyncEnumerable<ChatStreamEvent> StreamChatAsync(string token, ChatAsk ask, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, "/v1/rag/chat/completions", token);
        request.Content = JsonContent.Create(new
        {
            model = ask.Model,
            messages = new[] { new { role = "user", content = ask.Question } },
            knowledge_base_ids = ask.KnowledgeBaseIds,
            session_id = ask.SessionId,
            temperature = ask.Temperature,
            max_tokens = ask.MaxTokens,
            top_p = ask.TopP,
            seed = ask.Seed,
            stream = true,
        }, options: SnakeJson);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureAsync(response, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }
            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                yield break;
            }
            yield return ParseEvent(data);
        }
    }

    private static ChatStreamEvent ParseEvent(string data)
    {
        using var doc = JsonDocument.Parse(data);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var error))
        {
            throw new GatewayException(502, error.TryGetProperty("message", out var m) ? m.GetString() ?? "The answer failed." : "The answer failed.");
        }
        if (root.TryGetProperty("citations", out var citations))
        {
            return new ChatStreamEvent(null,
                citations.Deserialize<List<ChatCitation>>(SnakeJson),
                root.TryGetProperty("sources", out var sources) ? sources.Deserialize<List<ChatSource>>(SnakeJson) : [],
                root.TryGetProperty("session_id", out var session) ? session.GetGuid() : null);
        }
        var choices = root.GetProperty("choices");
        var delta = choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : null;
        return new ChatStreamEvent(delta ?? "");
    }

    private async Task DeleteAsync(string token, string path, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Delete, path, token);
        using var response = await Http.SendAsync(request, ct);
        await EnsureAsync(response, ct);
    }
}
