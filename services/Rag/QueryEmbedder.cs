using System.ClientModel;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Platform.Services.Rag.Clients;

namespace Platform.Services.Rag;

/// <summary>A knowledge base's embedder, as Ingestion records it: the model id and its vector dimension.</summary>
public sealed record KnowledgeBaseEmbedder(string Model, int Dimensions);

/// <summary>
/// Embeds a query for the vector leg with the Kernel's embedding generators (the Inference service's
/// <c>/v1/embeddings</c>), once per distinct embedder among the knowledge bases searched. Inference unreachable, failing,
/// refusing the embedder or silent past <see cref="RagOptions.LookupTimeout"/> → <see cref="ServiceUnavailableException"/> (503);
/// refusing the caller (401/403) → <see cref="InferenceRejectedException"/> (403).
/// </summary>
public sealed class QueryEmbedder(RagOptions options, ILogger<QueryEmbedder> logger)
{
    /// <summary>The query's vector per embedder id.</summary>
    public async Task<IReadOnlyDictionary<string, float[]>> EmbedAsync(Kernel kernel, string query, IEnumerable<KnowledgeBaseEmbedder> embedders,
        CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.LookupTimeout);
        var distinct = embedders.DistinctBy(e => e.Model, StringComparer.Ordinal).ToList();
        var vectors = await Task.WhenAll(distinct.Select(e => EmbedOneAsync(kernel, query, e, deadline.Token, ct)));
        return distinct.Select((e, i) => (e.Model, Vector: vectors[i])).ToDictionary(p => p.Model, p => p.Vector, StringComparer.Ordinal);
    }

    private async Task<float[]> EmbedOneAsync(Kernel kernel, string query, KnowledgeBaseEmbedder embedder, CancellationToken deadline,
        CancellationToken callerToken)
    {
        float[] vector;
        try
        {
            var embeddings = await InferenceKernel.EmbeddingGenerator(kernel, embedder.Model).GenerateAsync([query], cancellationToken: deadline);
            vector = embeddings.Single().Vector.ToArray();
        }
        catch (Exception e) when (!callerToken.IsCancellationRequested && Translate(e, embedder.Model) is { } translated)
        {
            logger.LogWarning(e, "Embedding the query with {Model} on the inference service failed", embedder.Model);
            throw translated;
        }
        if (vector.Length != embedder.Dimensions)
        {
            throw new ServiceUnavailableException($"The inference service embedded the query with '{embedder.Model}' in {vector.Length} dimensions; " +
                $"the knowledge base was built with {embedder.Dimensions}. Vector search cannot run.");
        }
        return vector;
    }

    private static Exception? Translate(Exception e, string model) => e switch
    {
        // The caller's own permissions (the call is signed as the caller): passed on like chat's 4xx.
        ClientResultException { Status: 401 or 403 } denied => new InferenceRejectedException(StatusCodes.Status403Forbidden,
            $"vector search embeds the query on the inference service, which refused this caller ({denied.Status}: {Reason(denied)}). " +
            "Use a key with the 'inference' scope, or search with mode 'fulltext'."),
        ClientResultException { Status: >= 400 and < 500 } refused => new ServiceUnavailableException(
            $"The inference service refused to embed the query with '{model}', the knowledge base's embedder ({refused.Status}: {Reason(refused)}); " +
            "vector search cannot run. Search with mode 'fulltext', or serve that embedder on the inference service.", e),
        ClientResultException or HttpRequestException or HttpOperationException or OperationCanceledException => new ServiceUnavailableException(
            "The inference service is unavailable or did not answer in time; the query cannot be embedded for vector search. " +
            "Try again shortly, or search with mode 'fulltext'.", e),
        _ => null,
    };

    /// <summary>Inference's own error message (OpenAI's error shape), else the exception's first line.</summary>
    private static string Reason(ClientResultException e)
    {
        try
        {
            var body = e.GetRawResponse()?.Content?.ToString();
            if (body is { Length: > 0 } && JsonDocument.Parse(body).RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // not JSON: fall back to the exception's message
        }
        return e.Message.Split('\n')[0];
    }
}
