using Platform.LocalInfra;

namespace Platform.Cli;

/// <summary>
/// Which platform `up`, `down` and `status` act on: the checkout's <c>.platform/</c> on the catalog's
/// fixed ports, or the one named by <c>--state-dir DIR</c> (pid files, data, logs, secrets and models
/// under DIR) and <c>--port-base N</c> (every port moved into a block from N: <see cref="PlatformPorts"/>).
/// A test runs a second platform this way beside a developer's.
/// </summary>
internal static class LaunchTarget
{
    public const string StateDirOption = "state-dir";
    public const string PortBaseOption = "port-base";

    /// <summary>The checkout, with its state folder moved when <c>--state-dir</c> is given (relative to the current folder).</summary>
    public static RepoLayout Repo(Options options)
    {
        var repo = RepoLayout.Find(Directory.GetCurrentDirectory());
        var stateDir = options.Get(StateDirOption);
        if (!options.Has(StateDirOption))
        {
            return repo;
        }
        if (string.IsNullOrWhiteSpace(stateDir))
        {
            throw new CommandLineError($"--{StateDirOption} needs a folder");
        }
        return repo.WithStateDir(stateDir);
    }

    /// <summary>
    /// The ports: <c>--port-base</c> when given, else those the running platform of this state folder
    /// was started with, else the catalog's.
    /// </summary>
    public static PlatformPorts Ports(Options options, RunState? running)
    {
        if (!options.Has(PortBaseOption))
        {
            return PlatformPorts.For(running?.PortBase);
        }
        var portBase = options.GetInt(PortBaseOption, 0);
        try
        {
            return PlatformPorts.FromBase(portBase);
        }
        catch (InfraException e)
        {
            throw new CommandLineError(e.Message);
        }
    }

    /// <summary>The flags to repeat in a hint such as "run ./platform down first", so it names the same platform.</summary>
    public static string Flags(Options options) =>
        options.Has(StateDirOption) ? $" --{StateDirOption} {options.Get(StateDirOption)}" : "";
}
