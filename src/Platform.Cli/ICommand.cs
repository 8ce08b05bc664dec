namespace Platform.Cli;

/// <summary>One `./platform NAME ...` sub-command.</summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>One line for `./platform help`.</summary>
    string Summary { get; }

    /// <summary>Runs the command; returns the process exit code.</summary>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}
