namespace Platform.Services.Gateway.Replicas;

/// <summary>One ready inference replica the gateway may route to.</summary>
/// <param name="Url">Base URL, without a trailing '/'; also the YARP destination id, so it is stable while the replica lives.</param>
/// <param name="Model">The model it was started for; null when it serves every model in its folder.</param>
public sealed record InferenceReplica(string Url, string? Model);
