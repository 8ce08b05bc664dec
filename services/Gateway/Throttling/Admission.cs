using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Throttling;

/// <summary>Why a request was refused, or <see cref="Ok"/>.</summary>
public enum AdmissionOutcome
{
    Ok,
    /// <summary>Over a key or tenant limit (requests, tokens, concurrency, sessions): 429.</summary>
    Limited,
    /// <summary>Over the consumer admission share: may wait in the fair queue, else 429.</summary>
    OverShare,
    /// <summary>The shared limiter (Redis) is unreachable and this traffic fails closed: 503.</summary>
    Unavailable,
}

/// <summary>The decision on one request. <see cref="Lease"/> is set when admitted and must be released.</summary>
public sealed record Admission(AdmissionOutcome Outcome, string Reason, TimeSpan RetryAfter, RateLimitSnapshot? Limits, Lease? Lease);

/// <summary>An admitted, in-flight request: it holds concurrency (and pool) slots until released.</summary>
public sealed record Lease(string Id, ApiKeyRecord Key, int ReservedTokens, bool Local);
