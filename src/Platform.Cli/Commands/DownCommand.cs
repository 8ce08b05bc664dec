using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>
/// `./platform down [--state-dir DIR]`: stops everything a `./platform up` (attached or detached) with
/// the same state folder started, by the pids it recorded there.
/// </summary>
public sealed class DownCommand : ICommand
{
    public string Name => "down";

    public string Summary => "stop everything ./platform up started (--state-dir DIR: the one started with it)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var repo = LaunchTarget.Repo(Options.Parse(args));
        var state = RunState.Load(repo);
        if (state is null)
        {
            Console.WriteLine("The platform is not running.");
            return 0;
        }
        var alive = state.Alive.ToList();
        await PlatformLauncher.StopAllAsync(repo, alive);
        Console.WriteLine($"Stopped {alive.Count} processes.");
        return 0;
    }
}
