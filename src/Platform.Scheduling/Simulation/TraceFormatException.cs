namespace Platform.Scheduling.Simulation;

/// <summary>A malformed trace line; the message starts with the line number.</summary>
public sealed class TraceFormatException(int lineNumber, string message)
    : SchedulingInputException($"line {lineNumber}: {message}")
{
    /// <summary>1-based line number of the bad line.</summary>
    public int LineNumber { get; } = lineNumber;
}
