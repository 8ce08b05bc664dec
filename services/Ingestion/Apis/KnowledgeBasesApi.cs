using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Data;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Pipeline;
using Platform.Ingestion.Storage;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;

namespace Platform.Services.Ingestion.Apis;

/// <summary>
/// /v1/knowledge-bases: create, list, get, delete, and search. Writes need the "ingest" scope; reads
/// accept "ingest" or "rag". Another tenant's knowledge base is 404, exactly like a missing one.
/// </summary>
public static class KnowledgeBasesApi
{
    public static RouteGroupBuilder MapKnowledgeBasesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/knowledge-bases").RequireCaller();
        api.MapPost("/", Create).RequireCaller("ingest");
        api.MapGet("/", List).AddEndpointFilter(ReadScope.Filter);
        api.MapGet("/{kbId:guid}", Get).AddEndpointFilter(ReadScope.Filter);
        api.MapDelete("/{kbId:guid}", Delete).RequireCaller("ingest");
        api.MapPost("/{kbId:guid}/search", Search).AddEndpointFilter(ReadScope.Filter);
        return api;
    }

    private static async Task<IResult> Create(CreateKnowledgeBaseRequest request, HttpContext http, KnowledgeBaseStore store,
        EmbeddingModelCatalog models, IngestionOptions options, CancellationToken ct)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return Invalid(http, "name", "A knowledge base needs a name of 1 to 200 characters.");
        }
        var modelId = string.IsNullOrWhiteSpace(request.EmbeddingModel) ? options.DefaultEmbeddingModel : request.EmbeddingModel.Trim();
        var model = models.Find(modelId);
        if (model is null)
        {
            return Invalid(http, "embedding_model", $"Unknown embedding model '{modelId}'; available: {string.Join(", ", models.Available())}.");
        }
        var tokens = request.ChunkTokens ?? Math.Min(options.DefaultChunkTokens, model.MaxInputTokens);
        if (tokens < 16 || tokens > Math.Min(8192, model.MaxInputTokens))
        {
            return Invalid(http, "chunk_tokens", $"chunk_tokens must be 16 to {Math.Min(8192, model.MaxInputTokens)} for '{modelId}'.");
        }
        var overlap = request.ChunkOverlap ?? Math.Min(options.DefaultChunkOverlap, tokens / 4);
        if (overlap < 0 || overlap >= tokens)
        {
            return Invalid(http, "chunk_overlap", "chunk_overlap must be 0 or more and less than chunk_tokens.");
        }
        var kb = await store.CreateAsync(http.GetCaller()!.TenantId, name, request.Description?.Trim(), model.Id, model.Dimensions, tokens, overlap, ct);
        return kb is null
            ? ErrorResults.For(http, StatusCodes.Status409Conflict, "conflict", $"A knowledge base named '{name}' already exists.", "name")
            : TypedResults.Created($"/v1/knowledge-bases/{kb.Id}", KnowledgeBaseResponse.From(kb));
    }

    private static async Task<Ok<ListResponse<KnowledgeBaseResponse>>> List(HttpContext http, KnowledgeBaseStore store, CancellationToken ct) =>
        TypedResults.Ok(new ListResponse<KnowledgeBaseResponse>("list",
            (await store.ListAsync(http.GetCaller()!.TenantId, ct)).Select(KnowledgeBaseResponse.From).ToList()));

    private static async Task<IResult> Get(Guid kbId, HttpContext http, KnowledgeBaseStore store, CancellationToken ct) =>
        await store.GetAsync(http.GetCaller()!.TenantId, kbId, ct) is { } kb ? TypedResults.Ok(KnowledgeBaseResponse.From(kb)) : NotFound(http, kbId);

    private static async Task<IResult> Delete(Guid kbId, HttpContext http, KnowledgeBaseStore store, DocumentFiles files, CancellationToken ct)
    {
        var tenant = http.GetCaller()!.TenantId;
        if (!await store.DeleteAsync(tenant, kbId, ct))
        {
            return NotFound(http, kbId);
        }
        files.DeleteKnowledgeBase(tenant, kbId);
        return TypedResults.Ok(new DeletedResponse(kbId, "knowledge_base.deleted", true));
    }

    private static async Task<IResult> Search(Guid kbId, SearchRequest request, HttpContext http, KnowledgeBaseStore store, Npgsql.NpgsqlDataSource dataSource,
        EmbeddingModelCatalog models, CancellationToken ct)
    {
        // With a precomputed vector the text is not needed; when given it is still checked.
        if ((request.QueryVector is null || request.Query is not null) && (string.IsNullOrWhiteSpace(request.Query) || request.Query.Length > 10_000))
        {
            return Invalid(http, "query", "query must be 1 to 10,000 characters.");
        }
        var k = request.TopK ?? 10;
        if (k is < 1 or > 100)
        {
            return Invalid(http, "top_k", "top_k must be 1 to 100.");
        }
        var mode = request.Mode ?? "vector";
        if (mode is not ("vector" or "text"))
        {
            return Invalid(http, "mode", "mode must be 'vector' or 'text' (hybrid retrieval is /v1/rag/search).");
        }
        if (request.QueryVector is not null && mode != "vector")
        {
            return Invalid(http, "query_vector", "query_vector is for mode 'vector' only; full-text search reads the query text.");
        }
        var filter = ChunkFilter.Parse(request.DocumentIds, request.TagsAny, request.TagsAll, request.DateFrom, request.DateTo, out var field, out var error);
        if (filter is null)
        {
            return Invalid(http, field!, error!);
        }
        var tenant = http.GetCaller()!.TenantId;
        var kb = await store.GetAsync(tenant, kbId, ct);
        if (kb is null)
        {
            return NotFound(http, kbId);
        }
        float[]? vector = null;
        if (request.QueryVector is { } given)
        {
            if (given.Length != kb.EmbeddingDimensions)
            {
                return Invalid(http, "query_vector", $"query_vector has {given.Length} dimensions; this knowledge base's embedder " +
                    $"'{kb.EmbeddingModel}' produces {kb.EmbeddingDimensions}.");
            }
            vector = given;
        }
        else if (mode == "vector")
        {
            var model = models.Find(kb.EmbeddingModel);
            if (model is null)
            {
                return ErrorResults.For(http, StatusCodes.Status503ServiceUnavailable, "model_unavailable",
                    $"The embedding model '{kb.EmbeddingModel}' this knowledge base was built with is not available on this server.");
            }
            // Embed before opening the tenant transaction: the embedded database serialises transactions.
            vector = model.Embed([request.Query!], ct)[0];
        }
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        var hits = vector is null
            ? await ChunkSearch.FullTextAsync(scope, [kbId], request.Query!, k, filter, ct)
            : await ChunkSearch.NearestAsync(scope, [kbId], vector, k, filter: filter, ct: ct);
        return TypedResults.Ok(new ListResponse<ChunkResponse>("list", hits.Select(h => ChunkResponse.From(h.Chunk, h.FileName, h.Score)).ToList()));
    }

    internal static IResult NotFound(HttpContext http, Guid kbId) =>
        ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", $"No knowledge base '{kbId}'.", code: "knowledge_base_not_found");

    internal static IResult Invalid(HttpContext http, string field, string message) =>
        ErrorResults.For(http, StatusCodes.Status400BadRequest, "invalid_request_error", message, field);
}

/// <summary>Reads are open to callers with "ingest" or "rag".</summary>
internal static class ReadScope
{
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var caller = ctx.HttpContext.GetCaller();
        if (caller is not null && !caller.HasScope("ingest") && !caller.HasScope("rag"))
        {
            return ErrorResults.For(ctx.HttpContext, StatusCodes.Status403Forbidden, "permission_error", "The caller lacks the 'ingest' or 'rag' scope.");
        }
        return await next(ctx);
    }
}
