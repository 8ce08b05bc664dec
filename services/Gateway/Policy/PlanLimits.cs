namespace Platform.Services.Gateway.Policy;

/// <summary>The limits of a plan (gateway.plans), applied per tenant.</summary>
public sealed record PlanLimits(
    string Name,
    int RequestsPerMinute,
    int TokensPerMinute,
    int MaxConcurrent,
    int MaxSessions,
    int SessionIdleSeconds,
    int QueueWeight = 1);

/// <summary>The limits one key is throttled to: its own overrides, never above its tenant's plan.</summary>
public sealed record KeyLimits(int RequestsPerMinute, int TokensPerMinute, int MaxConcurrent)
{
    public static KeyLimits Narrow(PlanLimits plan, int? rpm, int? tpm, int? concurrent) => new(
        Math.Min(plan.RequestsPerMinute, rpm ?? int.MaxValue),
        Math.Min(plan.TokensPerMinute, tpm ?? int.MaxValue),
        Math.Min(plan.MaxConcurrent, concurrent ?? int.MaxValue));
}
