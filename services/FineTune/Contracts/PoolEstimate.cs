namespace Platform.Services.FineTune.Contracts;

/// <summary>
/// When a job should start and how long it trains: <paramref name="QueueWaitSeconds"/> until the fine-tune
/// queue reaches it (the jobs ahead, each at its base model's throughput, on as many slots as jobs run now),
/// <paramref name="TrainingSeconds"/> for its remaining training tokens. <paramref name="Basis"/> is
/// <c>observed</c> (this model's recent succeeded jobs) or <c>default</c> (<c>FineTune:Estimates:DefaultTokensPerSecond</c>).
/// Time the pool scheduler keeps the grant pending for other tenants' work is not foreseen.
/// </summary>
public sealed record PoolEstimate(double QueueWaitSeconds, double TrainingSeconds, double TokensPerSecond, string Basis, int JobsAhead);
