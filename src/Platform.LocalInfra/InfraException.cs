namespace Platform.LocalInfra;

/// <summary>A local-infrastructure problem with a message a person can act on.</summary>
public sealed class InfraException(string message) : Exception(message);
