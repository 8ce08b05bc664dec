using System.Text.Json.Serialization;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag.Storage;

namespace Platform.Services.Rag.Apis;

public sealed record LlmCacheSettingsDto(
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("ttl_seconds")] int? TtlSeconds);

public sealed record RagSettingsDto([property: JsonPropertyName("llm_cache")] LlmCacheSettingsDto? LlmCache);

/// <summary>/v1/rag/settings: the caller's tenant's RAG settings (the opt-in LLM answer cache).</summary>
public static class SettingsApi
{
    public const int MaxTtlSeconds = 604_800;

    public static RouteGroupBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rag/settings").RequireCaller("rag");
        api.MapGet("/", Get);
        api.MapPut("/", Put);
        return api;
    }

    private static async Task<IResult> Get(HttpContext http, SettingsStore store, CancellationToken ct) =>
        TypedResults.Ok(Dto(await store.GetAsync(http.GetCaller()!.TenantId, ct)));

    private static async Task<IResult> Put(RagSettingsDto request, HttpContext http, SettingsStore store, CancellationToken ct)
    {
        var tenant = http.GetCaller()!.TenantId;
        var current = await store.GetAsync(tenant, ct);
        var ttl = request.LlmCache?.TtlSeconds ?? current.LlmCacheTtlSeconds;
        if (ttl is < 1 or > MaxTtlSeconds)
        {
            return SearchApi.Invalid(http, "llm_cache.ttl_seconds", $"llm_cache.ttl_seconds must be 1 to {MaxTtlSeconds:N0}.");
        }
        var updated = await store.SetAsync(tenant, new TenantSettings(request.LlmCache?.Enabled ?? current.LlmCacheEnabled, ttl), ct);
        return TypedResults.Ok(Dto(updated));
    }

    private static RagSettingsDto Dto(TenantSettings s) => new(new LlmCacheSettingsDto(s.LlmCacheEnabled, s.LlmCacheTtlSeconds));
}
