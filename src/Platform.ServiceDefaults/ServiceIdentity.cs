using System.Reflection;

namespace Platform.ServiceDefaults;

/// <summary>What `/version` reports: the service name and the build's informational version.</summary>
public sealed record ServiceIdentity(string Service, string Version)
{
    public static string VersionOf(Assembly? assembly) =>
        assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly?.GetName().Version?.ToString()
        ?? "0.0.0";
}
