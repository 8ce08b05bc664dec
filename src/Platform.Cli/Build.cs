using Platform.LocalInfra;

namespace Platform.Cli;

internal static class Build
{
    /// <summary>`dotnet build Platform.sln`; on failure the compiler's errors are shown and the command ends.</summary>
    public static async Task SolutionAsync(RepoLayout repo, CancellationToken cancellationToken)
    {
        var (code, output) = await NodeTooling.RunAsync("dotnet",
            ["build", Path.Combine(repo.Root, "Platform.sln"), "-nologo", "-v", "q", "-clp:ErrorsOnly;NoSummary"], repo.Root, cancellationToken);
        if (code != 0)
        {
            Console.Error.WriteLine(output.Trim());
            throw new CommandLineError("the build failed (errors above); fix them, or check that NuGet is reachable for the first restore.");
        }
    }
}
