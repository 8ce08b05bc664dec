using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Inference;
using Platform.Inference.Embeddings;
using Platform.Inference.Generation;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Inference.Models;
using Platform.Services.Inference.OpenAi;

namespace Platform.Services.Inference.Apis;

/// <summary>The OpenAI-compatible routes: /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings.</summary>
public static class OpenAiApi
{
    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1");
        group.MapGet("/models", ListModels).RequireCaller("inference");
        group.MapPost("/chat/completions", CreateChatCompletion).RequireCaller("inference");
        group.MapPost("/completions", CreateCompletion).RequireCaller("inference");
        // The RAG service embeds its callers' questions here (as the caller), so a key scoped to RAG alone can search;
        // from outside, the gateway's /v1 route still asks for the inference scope.
        group.MapPost("/embeddings", EmbeddingsApi.CreateEmbeddings).RequireCallerWithAnyScope("inference", "rag");
        return app;
    }

    public static Ok<ModelList> ListModels(HttpContext context, ModelCatalog catalog, EmbeddingCatalog embeddings)
    {
        var created = CompletionRunner.Now();
        var tenant = context.GetCaller()!.TenantId;
        var cards = new List<ModelCard>();
        foreach (var (name, engine) in catalog.Engines)
        {
            cards.Add(new ModelCard(name, "model", created, "platform", name, null, engine.ContextLength));
            cards.AddRange(catalog.AdapterNames(name, tenant)
                .Select(a => new ModelCard($"{name}:{a}", "model", created, "platform", $"{name}:{a}", name, engine.ContextLength)));
        }
        foreach (var (name, folder) in embeddings.Folders())
        {
            if (EmbeddingInputLimit(folder) is { } limit)
            {
                cards.Add(new ModelCard(name, "model", created, "platform", name, null, limit));
            }
        }
        return TypedResults.Ok(new ModelList("list", cards));
    }

    // A folder whose config cannot be read is left out of the list (requesting it says why).
    private static int? EmbeddingInputLimit(string folder)
    {
        try
        {
            return SentenceTransformer.MaxInputTokensOf(folder);
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static async Task<IResult> CreateChatCompletion(HttpContext context, ModelCatalog catalog, IOptions<InferenceOptions> options)
    {
        try
        {
            var body = await RequestBody.ReadAsync<ChatCompletionRequest>(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
            var prepared = RequestPreparer.Chat(body, catalog, context.GetCaller()!);
            var handles = CompletionRunner.Submit(prepared);
            var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            var created = CompletionRunner.Now();
            var tokenizer = prepared.Engine.Model.Tokenizer;
            if (prepared.Stream)
            {
                ChatCompletionChunk Chunk(int index, ChatDelta delta, string? finish, object? logprobs) =>
                    new(id, "chat.completion.chunk", created, prepared.Model, [new ChatChunkChoice(index, delta, finish, logprobs)]);
                await CompletionRunner.StreamAsync(context, handles, prepared.IncludeUsage,
                    index => Chunk(index, new ChatDelta("assistant", ""), null, null),
                    (index, output) => Chunk(index, new ChatDelta(null, output.Text), output.FinishReason?.ToApiString(),
                        prepared.Logprobs ? LogprobFormatter.Chat([output], tokenizer) : null),
                    usage => new ChatCompletionChunk(id, "chat.completion.chunk", created, prepared.Model, [], usage));
                return TypedResults.Empty;
            }
            var (choices, usage) = await CompletionRunner.CollectAsync(handles, context.RequestAborted);
            return TypedResults.Ok(new ChatCompletion(id, "chat.completion", created, prepared.Model,
                [.. choices.Select(c => new ChatChoice(c.Index, new AssistantMessage("assistant", c.Text), c.Finish,
                    prepared.Logprobs ? LogprobFormatter.Chat(c.Outputs, tokenizer) : null))], usage));
        }
        catch (ApiError e)
        {
            return e.ToResult();
        }
    }

    public static async Task<IResult> CreateCompletion(HttpContext context, ModelCatalog catalog, IOptions<InferenceOptions> options)
    {
        try
        {
            var body = await RequestBody.ReadAsync<CompletionRequest>(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
            var prepared = RequestPreparer.Completion(body, catalog, context.GetCaller()!);
            var handles = CompletionRunner.Submit(prepared);
            var id = "cmpl-" + Guid.NewGuid().ToString("N");
            var created = CompletionRunner.Now();
            var tokenizer = prepared.Engine.Model.Tokenizer;
            // With echo, each choice's first chunk (or whole text) starts with the prompt, and its logprobs with the prompt's.
            var echoed = prepared.Echo is null ? null : prepared.Request.PromptTokens;
            if (prepared.Stream)
            {
                // text_offset counts from the start of each choice's own text.
                var offsets = new int[handles.Count];
                var started = new bool[handles.Count];
                await CompletionRunner.StreamAsync<Completion>(context, handles, prepared.IncludeUsage, null,
                    (index, output) =>
                    {
                        var echo = started[index] ? null : echoed;
                        if (prepared.EchoOnly)
                        {
                            output = output with { Text = "", TokenId = null, FinishReason = FinishReason.Length };
                        }
                        var text = (started[index] ? "" : prepared.Echo ?? "") + output.Text;
                        started[index] = true;
                        var logprobs = prepared.Logprobs ? LogprobFormatter.Completion([output], tokenizer, offsets[index], echo) : null;
                        offsets[index] = logprobs is { TextOffset.Count: > 0 } l ? l.TextOffset[^1] + l.Tokens[^1].Length : offsets[index] + text.Length;
                        return new Completion(id, "text_completion", created, prepared.Model,
                            [new CompletionChoice(index, text, output.FinishReason?.ToApiString(), logprobs)]);
                    },
                    usage => new Completion(id, "text_completion", created, prepared.Model, [], WithoutHiddenToken(usage)));
                return TypedResults.Empty;
            }
            var (choices, usage) = await CompletionRunner.CollectAsync(handles, context.RequestAborted);
            if (prepared.EchoOnly)
            {
                choices = [.. choices.Select(c => c with { Text = "", Finish = FinishReason.Length.ToApiString(), Outputs = [.. c.Outputs.Take(1).Select(o => o with { TokenId = null })] })];
            }
            return TypedResults.Ok(new Completion(id, "text_completion", created, prepared.Model,
                [.. choices.Select(c => new CompletionChoice(c.Index, prepared.Echo + c.Text, c.Finish,
                    prepared.Logprobs ? LogprobFormatter.Completion(c.Outputs, tokenizer, 0, echoed) : null))], WithoutHiddenToken(usage)));

            // Echo with max_tokens 0 returns no completion token, so it counts none.
            Usage WithoutHiddenToken(Usage counted) =>
                prepared.EchoOnly ? counted with { CompletionTokens = 0, TotalTokens = counted.PromptTokens } : counted;
        }
        catch (ApiError e)
        {
            return e.ToResult();
        }
    }
}
