using System.Text.Json.Serialization;

namespace Platform.Contracts;

/// <summary>A tenant's usage totals over [From, To).</summary>
public sealed record UsageResponse(
    [property: JsonPropertyName("tenant_id")] Guid TenantId,
    [property: JsonPropertyName("from")] DateTimeOffset From,
    [property: JsonPropertyName("to")] DateTimeOffset To,
    [property: JsonPropertyName("rows")] IReadOnlyList<UsageRow> Rows);

/// <summary>Totals for one day (UTC), model and key (or portal user).</summary>
public sealed record UsageRow(
    [property: JsonPropertyName("day")] DateOnly Day,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("prompt_tokens")] long PromptTokens,
    [property: JsonPropertyName("completion_tokens")] long CompletionTokens,
    [property: JsonPropertyName("errors")] long Errors);
