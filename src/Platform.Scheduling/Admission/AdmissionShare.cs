namespace Platform.Scheduling.Admission;

/// <summary>
/// What the Gateway may admit of consumer traffic right now (published to Redis by the Scheduler).
/// </summary>
/// <param name="ConsumerBytes">GPU memory consumer work may hold, after reserving forecast enterprise demand.</param>
/// <param name="ConsumerReplicas">Consumer replicas that budget allows.</param>
/// <param name="AdmissibleTokens">KV tokens of consumer requests the Gateway may have in flight.</param>
/// <param name="Fraction">Share of forecast consumer demand that can be admitted, 0..1.</param>
/// <param name="ReservedForEnterpriseBytes">Memory held back for enterprise demand that is forecast but not yet placed.</param>
public sealed record AdmissionShare(long ConsumerBytes, int ConsumerReplicas, long AdmissibleTokens, double Fraction, long ReservedForEnterpriseBytes);
