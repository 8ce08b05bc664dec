using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Services.Inference.OpenAi;

/// <summary>Fields shared by /v1/chat/completions and /v1/completions (OpenAI names, plus vLLM's extras).</summary>
public abstract record SamplingRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; init; }
    [JsonPropertyName("temperature")] public double? Temperature { get; init; }
    [JsonPropertyName("top_p")] public double? TopP { get; init; }
    [JsonPropertyName("top_k")] public int? TopK { get; init; }
    [JsonPropertyName("min_p")] public double? MinP { get; init; }
    [JsonPropertyName("repetition_penalty")] public double? RepetitionPenalty { get; init; }
    [JsonPropertyName("presence_penalty")] public double? PresencePenalty { get; init; }
    [JsonPropertyName("frequency_penalty")] public double? FrequencyPenalty { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("n")] public int? N { get; init; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("stream_options")] public StreamOptions? StreamOptions { get; init; }
    [JsonPropertyName("ignore_eos")] public bool? IgnoreEos { get; init; }
    /// <summary>Chat: true/false (with top_logprobs); completions: the number of alternatives (0–20).</summary>
    [JsonPropertyName("logprobs")] public JsonElement? Logprobs { get; init; }
    [JsonPropertyName("user")] public string? User { get; init; }

    // Accepted only to be refused by name (UnsupportedFields): ignoring them would answer with
    // something other than what was asked for.
    [JsonPropertyName("tools")] public JsonElement? Tools { get; init; }
    [JsonPropertyName("tool_choice")] public JsonElement? ToolChoice { get; init; }
    [JsonPropertyName("functions")] public JsonElement? Functions { get; init; }
    [JsonPropertyName("function_call")] public JsonElement? FunctionCall { get; init; }
    [JsonPropertyName("response_format")] public JsonElement? ResponseFormat { get; init; }
    [JsonPropertyName("logit_bias")] public JsonElement? LogitBias { get; init; }
}

public sealed record StreamOptions([property: JsonPropertyName("include_usage")] bool? IncludeUsage);

public sealed record ChatCompletionRequest : SamplingRequest
{
    [JsonPropertyName("messages")] public List<ChatMessageDto>? Messages { get; init; }
    [JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; init; }
    [JsonPropertyName("top_logprobs")] public int? TopLogprobs { get; init; }
}

/// <summary>A chat message; content is a string or a list of {"type":"text","text":…} parts.</summary>
public sealed record ChatMessageDto(
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("content")] JsonElement? Content);

public sealed record CompletionRequest : SamplingRequest
{
    /// <summary>A string, a one-string list, or a list of token ids.</summary>
    [JsonPropertyName("prompt")] public JsonElement? Prompt { get; init; }
    [JsonPropertyName("echo")] public bool? Echo { get; init; }
    [JsonPropertyName("suffix")] public string? Suffix { get; init; }
    [JsonPropertyName("best_of")] public int? BestOf { get; init; }
}

/// <summary>POST /v1/embeddings.</summary>
public sealed record EmbeddingRequest
{
    /// <summary>A string, a list of strings, a list of token ids, or a list of token id lists.</summary>
    [JsonPropertyName("input")] public JsonElement? Input { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
    /// <summary>"float" (default) or "base64" (little-endian float32 bytes).</summary>
    [JsonPropertyName("encoding_format")] public string? EncodingFormat { get; init; }
    [JsonPropertyName("dimensions")] public int? Dimensions { get; init; }
    [JsonPropertyName("user")] public string? User { get; init; }
}
