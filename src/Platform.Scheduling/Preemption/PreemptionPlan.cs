namespace Platform.Scheduling.Preemption;

/// <summary>Victims whose removal lets the request fit, with the devices it would then take.</summary>
public sealed record PreemptionPlan(IReadOnlyList<string> VictimIds, IReadOnlyList<string> TargetDevices, double WastedDeviceSeconds);
