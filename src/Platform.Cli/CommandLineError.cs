namespace Platform.Cli;

/// <summary>
/// A problem the user can fix (bad flag, port in use, missing tool). The entry point prints the
/// message as one sentence and exits with code 2 — never a stack trace.
/// </summary>
public sealed class CommandLineError(string message) : Exception(message);
