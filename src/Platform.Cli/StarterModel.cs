using Platform.LocalInfra;

namespace Platform.Cli;

/// <summary>
/// The model `./platform up` serves when `.platform/models` holds none: the tiny stories260K
/// checkpoint from ../shared/testdata, referenced in place (never copied), when that folder is
/// beside the repository. Any checkpoint dropped into the models folder replaces it.
/// </summary>
internal static class StarterModel
{
    public const string Name = "stories260K";

    public static string ModelsDir(RepoLayout repo) => Path.Combine(repo.StateDir, "models");

    /// <summary>The checkpoint folder to serve as <see cref="Name"/>, or null when the user has models or the test data is absent.</summary>
    public static string? Find(RepoLayout repo)
    {
        var modelsDir = ModelsDir(repo);
        if (Directory.Exists(modelsDir) && Directory.EnumerateDirectories(modelsDir).Any(d => File.Exists(Path.Combine(d, "config.json"))))
        {
            return null;
        }
        var starter = Path.Combine(repo.TestDataDir, "models", "stories260K-hf");
        return File.Exists(Path.Combine(starter, "config.json")) ? starter : null;
    }

    /// <summary>One line for the welcome message: what /v1/models will list.</summary>
    public static string Describe(RepoLayout repo)
    {
        var modelsDir = ModelsDir(repo);
        var own = Directory.Exists(modelsDir)
            ? Directory.EnumerateDirectories(modelsDir).Where(d => File.Exists(Path.Combine(d, "config.json"))).Select(Path.GetFileName).Order().ToList()
            : [];
        if (own.Count > 0)
        {
            return string.Join(", ", own);
        }
        return Find(repo) is not null
            ? $"{Name} (a 260K-parameter test checkpoint from ../shared/testdata; put your own under .platform/models/<name>/)"
            : "none yet: put a Hugging Face checkpoint under .platform/models/<name>/ and restart";
    }
}
