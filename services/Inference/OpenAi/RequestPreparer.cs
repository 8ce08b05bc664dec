using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.Inference.Chat;
using Platform.Inference.Generation;
using Platform.Inference.Serving;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Inference.Models;

namespace Platform.Services.Inference.OpenAi;

/// <summary>
/// Turns OpenAI request bodies into <see cref="EngineRequest"/>s: resolves "base" or
/// "base:adapter", renders and tokenizes the prompt, checks the context length and maps sampling
/// fields. Every problem is an <see cref="ApiError"/> naming the field.
/// </summary>
public static class RequestPreparer
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Most choices (OpenAI's n) one request may ask for: each is a sequence in the engine.</summary>
    public const int MaxChoices = 16;

    public static PreparedRequest Chat(ChatCompletionRequest body, ModelCatalog catalog, CallerIdentity caller)
    {
        var (engine, adapter) = Resolve(catalog, body.Model, caller.TenantId);
        if (body.Messages is not { Count: > 0 } messages)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, "messages must be a non-empty list", "messages");
        }
        var chat = messages.Select((m, i) => ToMessage(m, i)).ToList();
        var loaded = engine.Model;
        IReadOnlyList<int> prompt = loaded.ChatTemplate is { } template
            ? loaded.Tokenizer.Encode(template.Render(chat), addSpecialTokens: false)
            // No recognised chat template (e.g. base models): the turns' contents, one per line.
            : loaded.Tokenizer.Encode(string.Join("\n", chat.Select(m => m.Content)));
        var maxTokens = body.MaxCompletionTokens ?? body.MaxTokens;
        var logprobs = body.Logprobs switch
        {
            null or { ValueKind: JsonValueKind.Null or JsonValueKind.False } => false,
            { ValueKind: JsonValueKind.True } => true,
            _ => throw new ApiError(StatusCodes.Status400BadRequest, "logprobs must be true or false", "logprobs"),
        };
        if (body.TopLogprobs is > 0 && !logprobs)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, "top_logprobs requires logprobs to be true", "top_logprobs");
        }
        return Build(engine, body, adapter, prompt, maxTokens, defaultMaxTokens: null, promptField: "messages",
            maxField: body.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens", caller,
            (logprobs, body.TopLogprobs ?? 0, "top_logprobs"));
    }

    public static PreparedRequest Completion(CompletionRequest body, ModelCatalog catalog, CallerIdentity caller)
    {
        var (engine, adapter) = Resolve(catalog, body.Model, caller.TenantId);
        var tokenizer = engine.Model.Tokenizer;
        IReadOnlyList<int> prompt = body.Prompt switch
        {
            { ValueKind: JsonValueKind.String } s => tokenizer.Encode(s.GetString()!),
            { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() == 1 && a[0].ValueKind == JsonValueKind.String => tokenizer.Encode(a[0].GetString()!),
            { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() > 0 && a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) => TokenIds(a, engine),
            _ => throw new ApiError(StatusCodes.Status400BadRequest,
                "prompt must be a string, a list with one string, or a non-empty list of token ids (one prompt per request)", "prompt"),
        };
        var top = body.Logprobs switch
        {
            null or { ValueKind: JsonValueKind.Null } => (int?)null,
            { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var count) => count,
            _ => throw new ApiError(StatusCodes.Status400BadRequest, "logprobs must be an integer (alternatives per token, 0-20)", "logprobs"),
        };
        // OpenAI's legacy completions default to 16 tokens.
        var echoOnly = body.Echo == true && body.MaxTokens == 0;
        var prepared = Build(engine, body, adapter, prompt, echoOnly ? 1 : body.MaxTokens, defaultMaxTokens: 16, promptField: "prompt",
            maxField: "max_tokens", caller, (top is not null, top ?? 0, "logprobs"));
        if (body.Echo != true)
        {
            return prepared;
        }
        // Echo returns the prompt as sent; with logprobs, the prompt's own logprobs too (what evaluation harnesses score).
        var text = body.Prompt!.Value.ValueKind == JsonValueKind.String ? body.Prompt.Value.GetString()!
            : body.Prompt.Value[0].ValueKind == JsonValueKind.String ? body.Prompt.Value[0].GetString()!
            : tokenizer.Decode(prompt, skipSpecialTokens: true);
        return prepared with { Echo = text, EchoOnly = echoOnly, Request = prepared.Request with { PromptLogprobs = top } };
    }

    private static PreparedRequest Build(ServingEngine engine, SamplingRequest body, string? adapter, IReadOnlyList<int> prompt,
        int? maxTokens, int? defaultMaxTokens, string promptField, string maxField, CallerIdentity caller,
        (bool Enabled, int Top, string Field) logprobs)
    {
        UnsupportedFields.Check(body);
        var choices = body.N ?? 1;
        if (choices is < 1 or > MaxChoices)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, $"n must be in [1, {MaxChoices}], got {choices}", "n");
        }
        var context = engine.ContextLength;
        if (prompt.Count >= context)
        {
            throw new ApiError(StatusCodes.Status400BadRequest,
                $"This model's maximum context length is {context} tokens. However, your prompt has {prompt.Count} tokens, leaving no room for the completion.",
                promptField, "context_length_exceeded");
        }
        var max = maxTokens ?? Math.Min(defaultMaxTokens ?? int.MaxValue, Math.Min(context, engine.PoolTokenCapacity) - prompt.Count);
        if (maxTokens is { } requested && requested >= 1 && prompt.Count + requested > context)
        {
            throw new ApiError(StatusCodes.Status400BadRequest,
                $"This model's maximum context length is {context} tokens. However, you requested {prompt.Count + requested} tokens ({prompt.Count} in the prompt, {requested} in the completion). Please reduce the prompt or {maxField}.",
                maxField, "context_length_exceeded");
        }
        var completion = Math.Max(max, 1);
        if ((max >= 1 || maxTokens is null) && prompt.Count + completion > engine.PoolTokenCapacity)
        {
            throw new ApiError(StatusCodes.Status400BadRequest,
                $"The request needs {prompt.Count + completion} tokens of KV cache ({prompt.Count} prompt + {completion} completion) but this server's cache holds {engine.PoolTokenCapacity}.",
                maxField, "context_length_exceeded");
        }
        var parameters = new SamplingParameters
        {
            MaxTokens = max,
            Temperature = body.Temperature ?? 1.0,
            TopP = body.TopP ?? 1.0,
            TopK = body.TopK ?? 0,
            MinP = body.MinP ?? 0,
            RepetitionPenalty = body.RepetitionPenalty ?? 1.0,
            PresencePenalty = body.PresencePenalty ?? 0,
            FrequencyPenalty = body.FrequencyPenalty ?? 0,
            Seed = body.Seed,
            Stop = StopStrings(body.Stop),
            LogitBias = LogitBias(body.LogitBias, engine),
            IgnoreEos = body.IgnoreEos ?? false,
            Logprobs = logprobs.Enabled,
            TopLogprobs = logprobs.Top,
        };
        try
        {
            parameters.Validate();
        }
        catch (SamplingParameterException e)
        {
            var field = e.Field switch
            {
                "max_tokens" => maxField,
                "top_logprobs" => logprobs.Field,
                _ => e.Field,
            };
            throw new ApiError(StatusCodes.Status400BadRequest, field + e.Message[e.Field.Length..], field);
        }
        var request = new EngineRequest
        {
            PromptTokens = prompt,
            Parameters = parameters,
            Priority = PriorityClasses.Parse(caller.Priority),
            // The tenant id is part of the salt even if the gateway left the salt empty.
            CacheSalt = caller.TenantId.ToString("N") + "/" + caller.CacheSalt,
            Adapter = adapter,
            Constraint = ResponseFormat(body.ResponseFormat, engine),
        };
        return new PreparedRequest(engine, body.Model!, request, body.Stream == true, body.StreamOptions?.IncludeUsage == true, choices);
    }

    private static (ServingEngine Engine, string? Adapter) Resolve(ModelCatalog catalog, string? model, Guid tenant)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ApiError(StatusCodes.Status400BadRequest, "model is required", "model");
        }
        if (catalog.Engines.TryGetValue(model, out var exact))
        {
            return (exact, null);
        }
        var colon = model.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && catalog.Engines.TryGetValue(model[..colon], out var engine)
            && catalog.AdapterKey(model[..colon], model[(colon + 1)..], tenant) is { } key)
        {
            return (engine, key);
        }
        throw NotFound(model);
    }

    /// <summary>The 404 for an unknown model or adapter.</summary>
    public static ApiError NotFound(string model) =>
        new(StatusCodes.Status404NotFound, $"The model '{model}' does not exist.", "model", "model_not_found");

    private static ChatMessage ToMessage(ChatMessageDto message, int index)
    {
        var role = message.Role ?? "";
        if (!Roles.Contains(role))
        {
            throw new ApiError(StatusCodes.Status400BadRequest,
                $"messages[{index}].role must be one of {string.Join(", ", Roles)}, got '{role}'", $"messages[{index}].role");
        }
        var content = message.Content switch
        {
            null or { ValueKind: JsonValueKind.Null } => "",
            { ValueKind: JsonValueKind.String } s => s.GetString()!,
            { ValueKind: JsonValueKind.Array } parts => TextParts(parts, index),
            _ => throw new ApiError(StatusCodes.Status400BadRequest,
                $"messages[{index}].content must be a string or a list of text parts", $"messages[{index}].content"),
        };
        return new ChatMessage(role == "developer" ? "system" : role, content);
    }

    private static string TextParts(JsonElement parts, int index)
    {
        var text = new StringBuilder();
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw new ApiError(StatusCodes.Status400BadRequest,
                    $"messages[{index}].content parts must be {{\"type\":\"text\",\"text\":…}} (images and audio are not supported)", $"messages[{index}].content");
            }
            text.Append(value.GetString());
        }
        return text.ToString();
    }

    private static List<int> TokenIds(JsonElement array, ServingEngine engine)
    {
        var vocab = engine.Model.Model.Config.VocabSize;
        var ids = new List<int>();
        foreach (var e in array.EnumerateArray())
        {
            if (!e.TryGetInt32(out var id) || id < 0 || id >= vocab)
            {
                throw new ApiError(StatusCodes.Status400BadRequest, $"prompt token ids must be integers in [0, {vocab})", "prompt");
            }
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>
    /// response_format: text (no constraint), json_object (JSON mode) or json_schema (structured outputs, the schema
    /// compiled here so an unsupported keyword is a 400 before anything runs).
    /// </summary>
    private static Func<ITokenConstraint>? ResponseFormat(JsonElement? format, ServingEngine engine)
    {
        if (format is null or { ValueKind: JsonValueKind.Null })
        {
            return null;
        }
        var value = format.Value;
        var type = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var (tokenizer, vocab) = (engine.Model.Tokenizer, engine.Model.Model.Config.VocabSize);
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                return JsonObjectConstraint.For(tokenizer, vocab);
            case "json_schema" when value.TryGetProperty("json_schema", out var spec) && spec.ValueKind == JsonValueKind.Object
                && spec.TryGetProperty("schema", out var schema):
                try
                {
                    return JsonSchemaConstraint.For(tokenizer, vocab, JsonSchemaNode.Compile(schema));
                }
                catch (SamplingParameterException e)
                {
                    throw new ApiError(StatusCodes.Status400BadRequest, e.Message, e.Field);
                }
            case "json_schema":
                throw new ApiError(StatusCodes.Status400BadRequest, "response_format json_schema needs a json_schema object with a schema", "response_format");
            default:
                throw new ApiError(StatusCodes.Status400BadRequest,
                    "response_format type must be text, json_object or json_schema", "response_format");
        }
    }

    /// <summary>OpenAI's logit_bias: an object from token id (a string of digits) to a bias in [-100, 100].</summary>
    private static Dictionary<int, float> LogitBias(JsonElement? value, ServingEngine engine)
    {
        var bias = new Dictionary<int, float>();
        if (value is not { ValueKind: JsonValueKind.Object } map)
        {
            return value is null or { ValueKind: JsonValueKind.Null } ? bias
                : throw new ApiError(StatusCodes.Status400BadRequest, "logit_bias must be an object mapping token ids to numbers", "logit_bias");
        }
        var vocab = engine.Model.Model.Config.VocabSize;
        foreach (var entry in map.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= vocab)
            {
                throw new ApiError(StatusCodes.Status400BadRequest, $"logit_bias keys must be token ids in [0, {vocab}), got '{entry.Name}'", "logit_bias");
            }
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var b) || b is < -100 or > 100)
            {
                throw new ApiError(StatusCodes.Status400BadRequest, $"logit_bias[{entry.Name}] must be a number in [-100, 100]", "logit_bias");
            }
            bias[id] = (float)b;
        }
        return bias;
    }

    private static IReadOnlyList<string> StopStrings(JsonElement? stop) => stop switch
    {
        null or { ValueKind: JsonValueKind.Null } => [],
        { ValueKind: JsonValueKind.String } s => [s.GetString()!],
        { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => [.. a.EnumerateArray().Select(e => e.GetString()!)],
        _ => throw new ApiError(StatusCodes.Status400BadRequest, "stop must be a string or a list of strings", "stop"),
    };
}
