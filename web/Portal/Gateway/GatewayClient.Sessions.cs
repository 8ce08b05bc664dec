namespace Platform.Portal.Gateway;

public sealed partial class GatewayClient
{
    /// <summary>The signed-in person's own RAG conversations, most recently used first.</summary>
    public async Task<List<ChatSessionSummary>> ListChatSessionsAsync(string token, int limit, CancellationToken ct) =>
        (await SendAsync<ListView<ChatSessionSummary>>(Authorized(HttpMethod.Get, $"/v1/rag/sessions?limit={limit}", token), ct, SnakeJson)).Data;

    /// <summary>A conversation's stored messages (the last ones the RAG service keeps), oldest first.</summary>
    public Task<ChatSessionView> GetChatSessionAsync(string token, Guid id, CancellationToken ct) =>
        SendAsync<ChatSessionView>(Authorized(HttpMethod.Get, $"/v1/rag/sessions/{id}", token), ct, SnakeJson);
}
