using System.Text.Json;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag.Storage;

namespace Platform.Services.Rag.Apis;

/// <summary>/v1/rag/sessions/{id}: a conversation's stored history, and deleting it.</summary>
public static class SessionsApi
{
    public static RouteGroupBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rag/sessions").RequireCaller("rag");
        api.MapGet("/{sessionId:guid}", Get);
        api.MapDelete("/{sessionId:guid}", Delete);
        return api;
    }

    private static async Task<IResult> Get(Guid sessionId, HttpContext http, SessionStore store, RagOptions options, CancellationToken ct)
    {
        var history = await store.HistoryAsync(http.GetCaller()!.TenantId, sessionId, options.MaxSessionMessages, ct);
        return history is null
            ? NotFound(http, sessionId)
            : TypedResults.Ok(new
            {
                id = sessionId,
                @object = "rag.session",
                messages = history.Select(m => new
                {
                    role = m.Role,
                    content = m.Content,
                    citations = m.CitationsJson is null ? (JsonElement?)null : JsonDocument.Parse(m.CitationsJson).RootElement,
                    created_at = m.CreatedAt.ToUnixTimeSeconds(),
                }),
            });
    }

    private static async Task<IResult> Delete(Guid sessionId, HttpContext http, SessionStore store, CancellationToken ct) =>
        await store.DeleteAsync(http.GetCaller()!.TenantId, sessionId, ct)
            ? TypedResults.Ok(new { id = sessionId, @object = "rag.session.deleted", deleted = true })
            : NotFound(http, sessionId);

    internal static IResult NotFound(HttpContext http, Guid id) =>
        ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", $"No session '{id}'.", "session_id", "session_not_found");
}
