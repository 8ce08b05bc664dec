using Platform.LocalInfra;

namespace Platform.Cli.Commands;

/// <summary>`./platform down`: stops everything a `./platform up` (attached or detached) started.</summary>
public sealed class DownCommand : ICommand
{
    public string Name => "down";

    public string Summary => "stop everything ./platform up started";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Options.Parse(args);
        var repo = RepoLayout.Find(Directory.GetCurrentDirectory());
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
