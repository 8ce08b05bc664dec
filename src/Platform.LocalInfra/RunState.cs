using System.Text.Json;

namespace Platform.LocalInfra;

/// <summary>What a running `./platform up` started, kept in STATE_DIR/run/state.json for `down` and `status`.</summary>
/// <param name="PortBase">The `--port-base` it was started with; null for the catalog's fixed ports.</param>
public sealed record RunState(List<RunningProcess> Processes, string PostgresDisplay, int? PostgresPort, int? RedisPort, DateTimeOffset StartedAt,
    int? PortBase = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathIn(RepoLayout repo) => Path.Combine(repo.StateDir, "run", "state.json");

    public static RunState? Load(RepoLayout repo)
    {
        var path = PathIn(repo);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<RunState>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(RepoLayout repo)
    {
        var path = PathIn(repo);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public static void Delete(RepoLayout repo) => File.Delete(PathIn(repo));

    public IEnumerable<RunningProcess> Alive => Processes.Where(p => ProcessSignals.IsAlive(p.Pid));
}

public sealed record RunningProcess(string Name, int Pid);
