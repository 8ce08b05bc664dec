using System.Text.Json;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using Platform.Rag;
using Platform.Services.Rag.Clients;

namespace Platform.Services.Rag;

/// <summary>Everything an answer needs, decided before the model is called.</summary>
public sealed record PreparedAnswer(Kernel Kernel, KernelFunction Function, KernelArguments Arguments, string Model,
    IReadOnlyList<RetrievedChunk> Sources, string Question, string TokenCounter, string Prompt, int MaxTokens, double? Temperature, double? TopP,
    long? Seed);

/// <summary>What a chat request asks for, validated.</summary>
public sealed record AnswerRequest(string? Model, string Question, IReadOnlyList<PromptTurn> History, IReadOnlyList<Guid> KnowledgeBaseIds,
    int TopK, string Mode, RetrievalFilter? Filter, string Template, int? MaxTokens, double? Temperature, double? TopP, long? Seed,
    double? MinRelevance = null);

/// <summary>The model is not served (404 model_not_found).</summary>
public sealed class ModelNotFoundException(string model) : Exception($"The model '{model}' does not exist on the inference service.");

/// <summary>
/// Builds the answer's prompt with Semantic Kernel within the model's token budget, and binds a
/// Kernel whose OpenAI chat-completion and embedding connectors point at the Inference service, signed as the caller
/// (<see cref="InferenceKernel"/>); retrieval embeds the question with that Kernel.
/// </summary>
public sealed class RagAnswerer(HybridRetriever retriever, InferenceModels models, InferenceKernel kernels, IConfiguration configuration,
    RagOptions options, TimeProvider time)
{
    private readonly string? _modelsDir = configuration["Platform:ModelsDir"];

    public async Task<PreparedAnswer> PrepareAsync(AnswerRequest request, CancellationToken ct)
    {
        var model = await models.FindAsync(request.Model ?? options.DefaultModel, ct)
            ?? throw new ModelNotFoundException(request.Model ?? options.DefaultModel ?? "(any)");
        var counter = ModelTokenCounter.ForModel(_modelsDir, model.Id);
        var completion = request.MaxTokens ?? Math.Min(options.DefaultMaxTokens, model.ContextLength / 4);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

        // The fixed part first: a question that cannot fit is refused before any retrieval.
        var bare = await RagPrompt.RenderAsync(request.Template, [], [], request.Question, today, ct);
        var fixedTokens = counter.Count(bare);
        TokenBudget.Plan(model.ContextLength, completion, fixedTokens, [], []);

        // One Kernel for the request: the chat model, and the embedders that embed the question for the vector leg.
        var embedders = await retriever.EmbeddersAsync(request.KnowledgeBaseIds, request.Mode, request.MinRelevance, ct);
        var kernel = kernels.Create(model.Id, embedders.Values.Select(e => e.Model));
        var chunks = await retriever.SearchAsync(kernel, embedders, request.KnowledgeBaseIds, request.Question, request.TopK, request.Mode, request.Filter,
            null, request.MinRelevance, ct);
        var plan = TokenBudget.Plan(model.ContextLength, completion, fixedTokens,
            chunks.Select((c, i) => counter.Count(RagPrompt.FormatSource(i + 1, c))).ToList(),
            request.History.Select(t => counter.Count(t.Content)).ToList());
        var sources = chunks.Take(plan.Chunks).ToList();
        var history = request.History.Skip(request.History.Count - plan.HistoryTurns).ToList();

        var arguments = RagPrompt.Arguments(sources, history, request.Question, today);
        arguments.ExecutionSettings = new Dictionary<string, PromptExecutionSettings>
        {
            [PromptExecutionSettings.DefaultServiceId] = new OpenAIPromptExecutionSettings
            {
                ModelId = model.Id,
                MaxTokens = completion,
                Temperature = request.Temperature,
                TopP = request.TopP,
                Seed = request.Seed,
            },
        };
        var function = KernelFunctionFactory.CreateFromPrompt(RagPrompt.Config(request.Template), new KernelPromptTemplateFactory());
        var prompt = await RagPrompt.RenderAsync(request.Template, sources, history, request.Question, today, ct);
        return new PreparedAnswer(kernel, function, arguments, model.Id, sources, request.Question, counter.Kind, prompt, completion,
            request.Temperature, request.TopP, request.Seed);
    }

    /// <summary>The whole answer, its finish reason and usage (when the service reported them).</summary>
    public async Task<(string Text, string FinishReason, object? Usage)> CompleteAsync(PreparedAnswer prepared, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.RequestTimeout);
        try
        {
            var result = await prepared.Kernel.InvokeAsync(prepared.Function, prepared.Arguments, deadline.Token);
            var message = result.GetValue<ChatMessageContent>();
            var finish = message?.Metadata?.TryGetValue("FinishReason", out var f) == true ? f?.ToString()?.ToLowerInvariant() : null;
            var usage = message?.Metadata?.TryGetValue("Usage", out var u) == true && u is OpenAI.Chat.ChatTokenUsage t
                ? new { prompt_tokens = t.InputTokenCount, completion_tokens = t.OutputTokenCount, total_tokens = t.TotalTokenCount }
                : null;
            return (message?.Content ?? result.ToString(), finish ?? "stop", usage);
        }
        catch (Exception e) when (Translate(e, ct) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The answer as it is generated.</summary>
    public async IAsyncEnumerable<string> StreamAsync(PreparedAnswer prepared, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.RequestTimeout);
        var stream = prepared.Kernel.InvokeStreamingAsync<StreamingChatMessageContent>(prepared.Function, prepared.Arguments, deadline.Token);
        await using var e = stream.GetAsyncEnumerator(deadline.Token);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception ex) when (Translate(ex, ct) is { } translated)
            {
                throw translated;
            }
            if (!string.IsNullOrEmpty(e.Current.Content))
            {
                yield return e.Current.Content;
            }
        }
    }

    /// <summary>Inference failures as the caller should see them: its 4xx passed on, anything else 503.</summary>
    private static Exception? Translate(Exception e, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            return null;
        }
        return e switch
        {
            HttpOperationException { StatusCode: { } status } http when (int)status is >= 400 and < 500 =>
                new InferenceRejectedException((int)status, ErrorMessage(http.ResponseContent) ?? http.Message),
            HttpOperationException or HttpRequestException or OperationCanceledException =>
                new ServiceUnavailableException("The inference service is unavailable or did not answer in time; no answer could be generated. Try again shortly.", e),
            _ => null,
        };
    }

    private static string? ErrorMessage(string? body)
    {
        try
        {
            return body is null ? null : JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>The inference service refused the request (4xx); its status and message are passed on.</summary>
public sealed class InferenceRejectedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
