namespace Platform.Services.Gateway.Metering;

/// <summary>One proxied call, as written to gateway.usage.</summary>
public sealed record UsageRecord(
    Guid RequestId,
    Guid TenantId,
    string KeyId,
    string Route,
    string Model,
    int Status,
    int PromptTokens,
    int CompletionTokens,
    string Source,
    double LatencyMs,
    DateTimeOffset CreatedAt);
