namespace Platform.LocalInfra;

/// <summary>Where things live in a checkout: the root (holding Platform.sln) and the ignored state dir.</summary>
public sealed class RepoLayout
{
    private RepoLayout(string root) => Root = root;

    public string Root { get; }

    /// <summary>Ignored folder for data, logs and pid files: <c>.platform/</c>.</summary>
    public string StateDir => Path.Combine(Root, ".platform");

    public string PgliteDir => Path.Combine(Root, "infra", "pglite");

    /// <summary>The shared test assets beside the checkout (<c>../shared/testdata</c>).</summary>
    public string TestDataDir => Path.GetFullPath(Path.Combine(Root, "..", "shared", "testdata"));

    public static RepoLayout Find(string? start = null)
    {
        var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
            {
                return new RepoLayout(dir.FullName);
            }
            dir = dir.Parent;
        }
        throw new InfraException($"Could not find the repository root (a folder holding Platform.sln) above {start ?? AppContext.BaseDirectory}.");
    }
}
