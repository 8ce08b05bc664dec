using Platform.LocalInfra;

namespace Platform.Cli;

/// <summary>
/// The model `./platform up` serves when `.platform/models` holds none: the tiny stories260K
/// checkpoint from ../shared/testdata, linked (never copied) into the models folder when that
/// folder is beside the repository, so Inference, FineTune and the portal see one model the same
/// way. A checkpoint the user drops into the models folder stands beside it.
/// </summary>
internal static class StarterModel
{
    public const string Name = "stories260K";

    public static string ModelsDir(RepoLayout repo) => Path.Combine(repo.StateDir, "models");

    /// <summary>Links the starter checkpoint when the models folder has no model and the test data is there.</summary>
    public static void EnsureLinked(RepoLayout repo)
    {
        var modelsDir = ModelsDir(repo);
        var starter = Path.Combine(repo.TestDataDir, "models", "stories260K-hf");
        if (Models(modelsDir).Count > 0 || !File.Exists(Path.Combine(starter, "config.json")))
        {
            return;
        }
        Directory.CreateDirectory(modelsDir);
        var link = Path.Combine(modelsDir, Name);
        if (Directory.Exists(link) || File.Exists(link))
        {
            return;
        }
        Directory.CreateSymbolicLink(link, starter);
    }

    /// <summary>One line for the welcome message: the models the services will serve.</summary>
    public static string Describe(RepoLayout repo)
    {
        var models = Models(ModelsDir(repo));
        if (models.Count == 0)
        {
            return $"none yet: put a Hugging Face checkpoint under {repo.Display(ModelsDir(repo))}/<name>/ and restart";
        }
        return string.Join(", ", models.Select(m => m == Name && new DirectoryInfo(Path.Combine(ModelsDir(repo), m)).LinkTarget is not null
            ? $"{Name} (a 260K-parameter test checkpoint linked from ../shared/testdata)"
            : m));
    }

    private static List<string> Models(string modelsDir) =>
        Directory.Exists(modelsDir)
            ? [.. Directory.EnumerateDirectories(modelsDir).Where(d => File.Exists(Path.Combine(d, "config.json"))).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)]
            : [];
}
