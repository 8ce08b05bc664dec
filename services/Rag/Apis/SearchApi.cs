using Platform.Rag;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag.Clients;

namespace Platform.Services.Rag.Apis;

/// <summary>POST /v1/rag/search: hybrid (or vector / full-text) retrieval over the caller's knowledge bases.</summary>
public static class SearchApi
{
    public const int MaxKnowledgeBases = 20;

    public static RouteGroupBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rag").RequireCaller("rag");
        api.MapPost("/search", Search);
        return api;
    }

    private static async Task<IResult> Search(RagSearchRequest request, HttpContext http, HybridRetriever retriever, RagOptions options, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Query) || request.Query.Length > 10_000)
        {
            return Invalid(http, "query", "query must be 1 to 10,000 characters and not blank.");
        }
        if (Validate(http, request.KnowledgeBaseIds, request.TopK, request.Mode, request.MinRelevance) is { } invalid)
        {
            return invalid;
        }
        if (request.MmrLambda is < 0 or > 1)
        {
            return Invalid(http, "mmr_lambda", "mmr_lambda must be between 0 and 1.");
        }
        if (request.Fusion is not null && !FusionSettings.IsMethod(request.Fusion))
        {
            return Invalid(http, "fusion", "fusion must be 'relative_score' or 'rrf'.");
        }
        if (request.Alpha is < 0 or > 1)
        {
            return Invalid(http, "alpha", "alpha (the vector leg's weight) must be between 0 and 1.");
        }
        if (request.RrfK is < 0 or > 1000)
        {
            return Invalid(http, "rrf_k", "rrf_k must be 0 to 1,000.");
        }
        RetrievalFilter? filter = null;
        if (request.Filters is { } filters && (filter = filters.Parse(out var field, out var error)) is null)
        {
            return Invalid(http, field!, error!);
        }
        var mode = request.Mode ?? RetrievalModes.Hybrid;
        return await Run(http, async () =>
        {
            var chunks = await retriever.SearchAsync(request.KnowledgeBaseIds!, request.Query, request.TopK ?? options.DefaultTopK, mode,
                filter,
                new RetrievalTuning(request.Fusion, request.Alpha, request.RrfK, request.MmrLambda), request.MinRelevance, ct);
            return TypedResults.Ok(new RagSearchResponse("list", mode, chunks.Select((c, i) => RagChunkResponse.From(c, i + 1)).ToList()));
        });
    }

    /// <summary>Shared checks of knowledge_base_ids, top_k, mode and min_relevance.</summary>
    internal static IResult? Validate(HttpContext http, IReadOnlyList<Guid>? kbIds, int? topK, string? mode, double? minRelevance)
    {
        if (kbIds is null || kbIds.Count is 0 or > MaxKnowledgeBases)
        {
            return Invalid(http, "knowledge_base_ids", $"knowledge_base_ids must list 1 to {MaxKnowledgeBases} knowledge bases.");
        }
        if (topK is < 1 or > 100)
        {
            return Invalid(http, "top_k", "top_k must be 1 to 100.");
        }
        if (mode is not null && !RetrievalModes.IsValid(mode))
        {
            return Invalid(http, "mode", "mode must be 'hybrid', 'vector' or 'fulltext'.");
        }
        if (minRelevance is { } min && !RelevanceCutoff.IsValid(min))
        {
            return Invalid(http, "min_relevance", "min_relevance (the least cosine similarity of a chunk to the question) must be between 0 and 1.");
        }
        return null;
    }

    /// <summary>Maps a missing knowledge base to 404, an unreachable service to 503 and Inference refusing the caller to its status.</summary>
    internal static async Task<IResult> Run(HttpContext http, Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (KnowledgeBaseNotFoundException e)
        {
            return ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", $"No knowledge base '{e.KnowledgeBaseId}'.",
                "knowledge_base_ids", "knowledge_base_not_found");
        }
        catch (ServiceUnavailableException e)
        {
            return ErrorResults.For(http, StatusCodes.Status503ServiceUnavailable, "service_unavailable", e.Message, code: "upstream_unavailable");
        }
        catch (InferenceRejectedException e)
        {
            return ErrorResults.For(http, e.Status, e.Status == StatusCodes.Status403Forbidden ? "permission_error" : "invalid_request_error",
                "The inference service refused the request: " + e.Message);
        }
    }

    internal static IResult Invalid(HttpContext http, string field, string message) =>
        ErrorResults.For(http, StatusCodes.Status400BadRequest, "invalid_request_error", message, field);
}
