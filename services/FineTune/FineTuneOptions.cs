using System.ComponentModel.DataAnnotations;
using Platform.FineTune;

namespace Platform.Services.FineTune;

/// <summary>The "FineTune" configuration section (ModelsDir and DataDir default to Platform:ModelsDir and Platform:DataDir).</summary>
public sealed class FineTuneOptions
{
    /// <summary>Base models are folders here; adapters go to adapters/&lt;tenant&gt;/&lt;name&gt;/.</summary>
    [Required]
    public string ModelsDir { get; set; } = "";

    /// <summary>Uploaded datasets (files/) and job checkpoints (jobs/).</summary>
    [Required]
    public string DataDir { get; set; } = "";

    /// <summary>The base model uploads are validated against when the upload names none.</summary>
    public string? DefaultModel { get; set; }

    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Learning rate for multiplier 1.</summary>
    [Range(1e-7, 1)]
    public double BaseLearningRate { get; set; } = 1e-3;

    [Range(0, 0.5)]
    public double WarmupRatio { get; set; } = 0.1;

    [Range(0, 1000)]
    public double MaxGradNorm { get; set; } = 1.0;

    [Range(0, 100_000)]
    public int EvalEverySteps { get; set; } = 10;

    [Range(0, 100_000)]
    public int CheckpointEverySteps { get; set; } = 20;

    [Range(1, 100_000)]
    public int MaxValidationExamples { get; set; } = 256;

    public WorkerOptions Worker { get; set; } = new();

    public QuotaOptions Quotas { get; set; } = new();

    public PoolOptions Pool { get; set; } = new();

    public EstimateOptions Estimates { get; set; } = new();
}

/// <summary>The training worker in this host.</summary>
public sealed class WorkerOptions
{
    /// <summary>Whether this host trains (an API-only replica sets false).</summary>
    public bool Enabled { get; set; } = true;

    [Range(10, 60_000)]
    public int PollIntervalMs { get; set; } = 1000;

    /// <summary>A running job whose worker has not renewed its lease for this long is taken over by another worker.</summary>
    [Range(2, 3600)]
    public int LeaseSeconds { get; set; } = 60;
}

/// <summary>Quotas: defaults for every tenant, with per-tenant overrides keyed by tenant id.</summary>
public sealed class QuotaOptions
{
    [Range(1, 1000)]
    public int MaxConcurrentJobs { get; set; } = 2;

    [Range(1, long.MaxValue)]
    public long MaxTrainingTokensPerMonth { get; set; } = 10_000_000;

    public Dictionary<string, TenantQuota> Tenants { get; set; } = [];

    /// <summary>The quota that applies to <paramref name="tenantId"/>.</summary>
    public TenantQuota For(Guid tenantId) => Tenants.TryGetValue(tenantId.ToString(), out var quota)
        ? quota
        : new TenantQuota { MaxConcurrentJobs = MaxConcurrentJobs, MaxTrainingTokensPerMonth = MaxTrainingTokensPerMonth };
}
