namespace Platform.LocalInfra;

/// <summary>Where things live in a checkout: the root (holding Platform.sln) and the ignored state dir.</summary>
public sealed class RepoLayout
{
    private RepoLayout(string root, string? stateDir = null)
    {
        Root = root;
        StateDir = stateDir ?? Path.Combine(root, ".platform");
    }

    public string Root { get; }

    /// <summary>
    /// Folder for data, logs, pid files, secrets and models: the ignored <c>.platform/</c>, or the
    /// folder given to <see cref="WithStateDir"/>.
    /// </summary>
    public string StateDir { get; }

    /// <summary>
    /// The same checkout with its state kept under <paramref name="stateDir"/> (made absolute), so a
    /// second `./platform up --state-dir DIR` keeps its own processes, data and secrets.
    /// </summary>
    public RepoLayout WithStateDir(string stateDir) => new(Root, Path.GetFullPath(stateDir));

    /// <summary>A path as a person reads it: relative to the checkout when inside it, else absolute.</summary>
    public string Display(string path)
    {
        var relative = Path.GetRelativePath(Root, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

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
