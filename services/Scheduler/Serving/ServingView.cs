using Platform.Scheduling.Autoscaling;

namespace Platform.Services.Scheduler.Serving;

/// <summary>
/// The serving side of <c>GET /api/pool</c>: what each Inference endpoint reported, and what the autoscaling
/// policy made of it (null before the first scrape, or when no endpoint answered).
/// </summary>
public sealed record ServingView(IReadOnlyList<ReplicaReading> Replicas, ServingPlan? Plan);
