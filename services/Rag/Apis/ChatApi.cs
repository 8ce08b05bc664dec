using System.Text;
using System.Text.Json;
using Platform.Rag;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag.Clients;
using Platform.Services.Rag.Storage;

namespace Platform.Services.Rag.Apis;

/// <summary>
/// POST /v1/rag/chat/completions: an OpenAI chat request plus knowledge_base_ids → retrieval → a
/// Semantic Kernel prompt within the token budget → the Inference service's answer, with citations.
/// </summary>
public static class ChatApi
{
    /// <summary>Ingestion's search accepts queries of up to 10,000 characters.</summary>
    public const int MaxQuestionChars = 10_000;

    public static RouteGroupBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rag").RequireCaller("rag");
        api.MapPost("/chat/completions", Complete);
        return api;
    }

    private static async Task Complete(RagChatRequest request, HttpContext http, RagAnswerer answerer, TemplateStore templates,
        SessionStore sessions, SettingsStore settings, LlmCache cache, RagOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        var caller = http.GetCaller()!;
        var (parsed, error) = await ParseAsync(request, http, templates, sessions, options, ct);
        if (error is not null)
        {
            await error.ExecuteAsync(http);
            return;
        }
        var (answerRequest, sessionId) = parsed!.Value;
        PreparedAnswer prepared;
        try
        {
            prepared = await answerer.PrepareAsync(answerRequest, ct);
        }
        catch (Exception e) when (Map(http, e) is { } mapped)
        {
            await mapped.ExecuteAsync(http);
            return;
        }
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tenantSettings = await settings.GetAsync(caller.TenantId, ct);
        var cacheKey = tenantSettings.LlmCacheEnabled ? LlmCache.KeyFor(caller.TenantId, prepared) : null;
        var cached = cacheKey is null ? null : await cache.GetAsync(cacheKey);
        if (cacheKey is not null)
        {
            http.Response.Headers["X-Rag-Cache"] = cached is null ? "miss" : "hit";
        }
        if (request.Stream == true)
        {
            var generated = await StreamAsync(http, answerer, prepared, sessions, caller, sessionId, id, created, cached,
                loggers.CreateLogger("Platform.Services.Rag.Chat"), ct);
            if (cacheKey is not null && cached is null && generated is not null)
            {
                await cache.SetAsync(cacheKey, generated, tenantSettings.LlmCacheTtlSeconds);
            }
            return;
        }
        try
        {
            var (text, finish, usage) = cached is null ? await answerer.CompleteAsync(prepared, ct) : (cached.Text, cached.FinishReason, null);
            if (cacheKey is not null && cached is null)
            {
                await cache.SetAsync(cacheKey, new CachedAnswer(text, finish), tenantSettings.LlmCacheTtlSeconds);
            }
            var citations = Citations.Extract(text, prepared.Sources).Select(CitationDto.From).ToList();
            await sessions.AppendAsync(caller.TenantId, caller.Principal, sessionId, new PromptTurn("user", prepared.Question),
                new PromptTurn("assistant", text), JsonSerializer.Serialize(citations), ct);
            await TypedResults.Ok(new
            {
                id,
                @object = "chat.completion",
                created,
                model = prepared.Model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = finish } },
                usage,
                citations,
                sources = Sources(prepared),
                session_id = sessionId,
                cached = cached is not null,
            }).ExecuteAsync(http);
        }
        catch (Exception e) when (Map(http, e) is { } mapped)
        {
            await mapped.ExecuteAsync(http);
        }
    }

    /// <summary>Streams the answer (or the cached one as a single delta); returns what was generated, null after a failure.</summary>
    private static async Task<CachedAnswer?> StreamAsync(HttpContext http, RagAnswerer answerer, PreparedAnswer prepared, SessionStore sessions,
        CallerIdentity caller, Guid sessionId, string id, long created, CachedAnswer? cached, ILogger logger, CancellationToken ct)
    {
        var source = cached is null ? answerer.StreamAsync(prepared, ct) : Once(cached.Text);
        var stream = source.GetAsyncEnumerator(ct);
        await using var _ = stream;
        bool more;
        try
        {
            more = await stream.MoveNextAsync(); // before the headers: an unreachable model is still a 503
        }
        catch (Exception e) when (Map(http, e) is { } mapped)
        {
            await mapped.ExecuteAsync(http);
            return null;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var answer = new StringBuilder();
        object Chunk(object delta, string? finish) => new
        {
            id, @object = "chat.completion.chunk", created, model = prepared.Model,
            choices = new[] { new { index = 0, delta, finish_reason = finish } },
        };
        await WriteEventAsync(http, Chunk(new { role = "assistant", content = "" }, null), ct);
        try
        {
            while (more)
            {
                answer.Append(stream.Current);
                await WriteEventAsync(http, Chunk(new { content = stream.Current }, null), ct);
                more = await stream.MoveNextAsync();
            }
        }
        catch (Exception e) when (e is ServiceUnavailableException or InferenceRejectedException)
        {
            logger.LogWarning(e, "The answer stream failed after {Chars} characters", answer.Length);
            await WriteEventAsync(http, new OpenAiErrorBody(new OpenAiError(e.Message, "service_unavailable", null, "upstream_unavailable")), ct);
            await http.Response.WriteAsync("data: [DONE]\n\n", ct);
            return null;
        }
        var text = answer.ToString();
        var citations = Citations.Extract(text, prepared.Sources).Select(CitationDto.From).ToList();
        await sessions.AppendAsync(caller.TenantId, caller.Principal, sessionId, new PromptTurn("user", prepared.Question),
            new PromptTurn("assistant", text), JsonSerializer.Serialize(citations), ct);
        await WriteEventAsync(http, new
        {
            id, @object = "chat.completion.chunk", created, model = prepared.Model,
            choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } },
            citations,
            sources = Sources(prepared),
            session_id = sessionId,
            cached = cached is not null,
        }, ct);
        await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        return new CachedAnswer(text, "stop");
    }

    private static async IAsyncEnumerable<string> Once(string text)
    {
        await Task.CompletedTask;
        yield return text;
    }

    private static async Task WriteEventAsync(HttpContext http, object payload, CancellationToken ct)
    {
        await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(payload) + "\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    private static object Sources(PreparedAnswer prepared) => prepared.Sources.Select((c, i) => new
    {
        index = i + 1, chunk_id = c.Id, document_id = c.DocumentId, knowledge_base_id = c.KnowledgeBaseId, title = c.FileName, page = c.PageStart,
        relevance = c.Relevance,
    }).ToList();

    private static IResult? Map(HttpContext http, Exception e) => e switch
    {
        ContextLengthExceededException c => ErrorResults.For(http, StatusCodes.Status400BadRequest, "invalid_request_error", c.Message, "messages",
            "context_length_exceeded"),
        ModelNotFoundException m => ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", m.Message, "model", "model_not_found"),
        KnowledgeBaseNotFoundException k => ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error",
            $"No knowledge base '{k.KnowledgeBaseId}'.", "knowledge_base_ids", "knowledge_base_not_found"),
        ServiceUnavailableException s => ErrorResults.For(http, StatusCodes.Status503ServiceUnavailable, "service_unavailable", s.Message,
            code: "upstream_unavailable"),
        InferenceRejectedException r => ErrorResults.For(http, r.Status, "invalid_request_error", "The inference service refused the request: " + r.Message),
        _ => null,
    };

    /// <summary>
    /// OpenAI fields that would change what comes back. A RAG answer is one cited text, so each is refused by name
    /// rather than ignored (the Inference service's /v1 routes accept them).
    /// </summary>
    private static (string? Field, string? Message) Unsupported(RagChatRequest request)
    {
        static bool Set(JsonElement? value) => value is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False) }
            && !(value.Value.ValueKind == JsonValueKind.Array && value.Value.GetArrayLength() == 0);
        if (request.N is { } n && n != 1)
        {
            return ("n", $"n must be 1 here (one cited answer per question), got {n}.");
        }
        if (request.ResponseFormat is { ValueKind: not JsonValueKind.Null } format
            && !(format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "text"))
        {
            return ("response_format", "response_format must be {\"type\": \"text\"} here: a RAG answer is cited text, not JSON (use /v1/chat/completions for JSON mode).");
        }
        if (Set(request.Tools))
        {
            return ("tools", "tools (function calling) are not supported.");
        }
        return Set(request.Logprobs) ? ("logprobs", "logprobs are not returned by the RAG endpoint (use /v1/chat/completions).") : (null, null);
    }

    private static async Task<((AnswerRequest, Guid)?, IResult?)> ParseAsync(RagChatRequest request, HttpContext http, TemplateStore templates,
        SessionStore sessions, RagOptions options, CancellationToken ct)
    {
        if (request.Messages is null || request.Messages.Count == 0)
        {
            return (null, SearchApi.Invalid(http, "messages", "messages must contain at least one user message."));
        }
        var turns = new List<PromptTurn>();
        foreach (var m in request.Messages)
        {
            if (m.Role is not ("system" or "developer" or "user" or "assistant"))
            {
                return (null, SearchApi.Invalid(http, "messages", "Each message's role must be system, developer, user or assistant."));
            }
            if (Text(m.Content) is not { } content)
            {
                return (null, SearchApi.Invalid(http, "messages", "Message content must be a string or a list of text parts."));
            }
            turns.Add(m.Role is "system" or "developer" ? new PromptTurn("user", "Instructions: " + content) : new PromptTurn(m.Role, content));
        }
        var last = request.Messages[^1];
        var question = turns[^1].Content;
        if (last.Role != "user" || string.IsNullOrWhiteSpace(question))
        {
            return (null, SearchApi.Invalid(http, "messages", "The last message must be a non-empty user question."));
        }
        if (question.Length > MaxQuestionChars)
        {
            return (null, SearchApi.Invalid(http, "messages", $"The question is longer than {MaxQuestionChars:N0} characters."));
        }
        if (SearchApi.Validate(http, request.KnowledgeBaseIds, request.TopK, request.Mode, request.MinRelevance) is { } invalid)
        {
            return (null, invalid);
        }
        if (request.MaxTokens is < 1)
        {
            return (null, SearchApi.Invalid(http, "max_tokens", "max_tokens must be at least 1."));
        }
        if (Unsupported(request) is ({ } unsupported, { } why))
        {
            return (null, SearchApi.Invalid(http, unsupported, why));
        }
        RetrievalFilter? filter = null;
        if (request.Filters is { } filters && (filter = filters.Parse(out var field, out var error)) is null)
        {
            return (null, SearchApi.Invalid(http, field!, error!));
        }
        var tenant = http.GetCaller()!.TenantId;
        var template = RagPrompt.DefaultTemplate;
        if (request.Template is { } name && name != TemplatesApi.DefaultName)
        {
            if (!TemplatesApi.NamePattern().IsMatch(name) || await templates.GetAsync(tenant, name, ct) is not { } stored)
            {
                return (null, TemplatesApi.NotFound(http, name));
            }
            template = stored.Template;
        }
        var history = new List<PromptTurn>();
        var sessionId = request.SessionId ?? Guid.CreateVersion7();
        if (request.SessionId is { } existing)
        {
            var stored = await sessions.HistoryAsync(tenant, existing, options.MaxSessionMessages, ct);
            if (stored is null)
            {
                return (null, SessionsApi.NotFound(http, existing));
            }
            history.AddRange(stored.Select(s => new PromptTurn(s.Role, s.Content)));
        }
        history.AddRange(turns.Take(turns.Count - 1));
        var answer = new AnswerRequest(request.Model, question, history, request.KnowledgeBaseIds!, request.TopK ?? options.DefaultTopK,
            request.Mode ?? RetrievalModes.Hybrid, filter, template, request.MaxTokens, request.Temperature,
            request.TopP, request.Seed, request.MinRelevance);
        return ((answer, sessionId), null);
    }

    /// <summary>A message's text: a string, or the concatenated text parts of a content list.</summary>
    private static string? Text(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString(),
        JsonValueKind.Array when content.EnumerateArray().All(p => p.ValueKind == JsonValueKind.Object &&
            p.TryGetProperty("type", out var t) && t.GetString() == "text" && p.TryGetProperty("text", out var x) && x.ValueKind == JsonValueKind.String)
            => string.Concat(content.EnumerateArray().Select(p => p.GetProperty("text").GetString())),
        _ => null,
    };
}
