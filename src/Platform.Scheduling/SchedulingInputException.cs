namespace Platform.Scheduling;

/// <summary>
/// Input the scheduler refuses: conflicting quotas, impossible worker numbers, malformed
/// inventory. The message is one sentence that names the offending value.
/// </summary>
public class SchedulingInputException(string message) : Exception(message);
