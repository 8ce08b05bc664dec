using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Platform.Inference;
using Platform.Inference.Embeddings;
using Platform.Services.Inference.Models;
using Platform.Services.Inference.OpenAi;

namespace Platform.Services.Inference.Apis;

/// <summary>POST /v1/embeddings (OpenAI-compatible) over the <see cref="EmbeddingCatalog"/>.</summary>
public static class EmbeddingsApi
{
    private const int BatchSize = 32;

    /// <summary>Embeds every input with the requested model; 404 for an unknown model, 400 for bad input.</summary>
    public static async Task<IResult> CreateEmbeddings(HttpContext context, EmbeddingCatalog catalog, IOptions<InferenceOptions> options)
    {
        try
        {
            var body = await RequestBody.ReadAsync<EmbeddingRequest>(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
            var name = body.Model is { Length: > 0 } m ? m : throw new ApiError(StatusCodes.Status400BadRequest, "model is required", "model");
            var base64 = body.EncodingFormat switch
            {
                null or "float" => false,
                "base64" => true,
                _ => throw new ApiError(StatusCodes.Status400BadRequest,
                    $"encoding_format must be 'float' or 'base64', got '{body.EncodingFormat}'", "encoding_format"),
            };
            var input = EmbeddingInput.Parse(body.Input);
            if (!catalog.Folders().ContainsKey(name) && LexicalEmbedder.FromId(name) is { } lexical)
            {
                return EmbedLexical(lexical, name, input, body.Dimensions, base64, context.RequestAborted);
            }
            var model = Load(catalog, name);
            CheckDimensions(name, model.Dimensions, body.Dimensions);
            var tokens = input.Texts?.Select(model.Encode).ToList() ?? [.. input.Tokens!];
            Validate(tokens, model, name, input.Texts is null);
            var vectors = new List<float[]>(tokens.Count);
            foreach (var batch in tokens.Chunk(BatchSize))
            {
                vectors.AddRange(model.EmbedTokens(batch, context.RequestAborted));
            }
            var data = vectors.Select((v, i) => new EmbeddingData("embedding", i, base64 ? ToBase64(v) : v)).ToList();
            var promptTokens = tokens.Sum(t => t.Count);
            return TypedResults.Ok(new EmbeddingList("list", data, name, new EmbeddingUsage(promptTokens, promptTokens)));
        }
        catch (ApiError e)
        {
            return e.ToResult();
        }
    }

    /// <summary>
    /// Ingestion's built-in lexical embedder (platform-lexical-v1/v2[-dimensions]): the same vectors a
    /// knowledge base built with it stores, so a client can search it with its own query vectors.
    /// It reads text, not model tokens.
    /// </summary>
    private static IResult EmbedLexical(LexicalEmbedder model, string name, EmbeddingInput input, int? dimensions, bool base64, CancellationToken ct)
    {
        var texts = input.Texts ?? throw new ApiError(StatusCodes.Status400BadRequest,
            $"model '{name}' embeds text; token-id input is not supported for it", "input");
        CheckDimensions(name, model.Dimensions, dimensions);
        var vectors = model.Embed(texts, ct);
        var data = vectors.Select((v, i) => new EmbeddingData("embedding", i, base64 ? ToBase64(v) : v)).ToList();
        var promptTokens = texts.Sum(model.CountTokens);
        return TypedResults.Ok(new EmbeddingList("list", data, name, new EmbeddingUsage(promptTokens, promptTokens)));
    }

    private static void CheckDimensions(string name, int native, int? requested)
    {
        if (requested is { } dimensions && dimensions != native)
        {
            throw new ApiError(StatusCodes.Status400BadRequest,
                $"dimensions: model '{name}' produces {native}-dimensional embeddings and cannot shorten them (got {dimensions})", "dimensions");
        }
    }

    private static SentenceTransformer Load(EmbeddingCatalog catalog, string name)
    {
        try
        {
            return catalog.Find(name) ?? throw RequestPreparer.NotFound(name);
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            throw new ApiError(StatusCodes.Status500InternalServerError, $"The embedding model '{name}' could not be loaded: {e.Message}",
                "model", "model_load_failed", "server_error");
        }
    }

    private static void Validate(List<IReadOnlyList<int>> tokens, SentenceTransformer model, string name, bool tokenInput)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var path = tokens.Count == 1 && tokenInput ? "input" : $"input[{i}]";
            if (tokens[i].Count > model.MaxInputTokens)
            {
                throw new ApiError(StatusCodes.Status400BadRequest,
                    $"{path} has {tokens[i].Count} tokens; model '{name}' accepts at most {model.MaxInputTokens}", path, "context_length_exceeded");
            }
            if (tokens[i].FirstOrDefault(t => t >= model.VocabularySize, -1) is var bad and >= 0)
            {
                throw new ApiError(StatusCodes.Status400BadRequest,
                    $"{path} contains token id {bad}, outside the vocabulary of '{name}' [0, {model.VocabularySize})", path);
            }
        }
    }

    // OpenAI's base64 format: the float32 values' little-endian bytes.
    private static string ToBase64(float[] vector) => Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan()));
}
