using System.Security.Cryptography;
using System.Text.Json;

namespace Platform.LocalInfra;

/// <summary>
/// Secrets of a local installation, generated on the first `./platform up` and kept in
/// .platform/secrets.json (owner-only) so keys and sessions survive a restart.
/// </summary>
public sealed record LocalSecrets(string AdminToken, string KeyHashSecret, string InternalSecret)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static LocalSecrets LoadOrCreate(RepoLayout repo)
    {
        var path = Path.Combine(repo.StateDir, "secrets.json");
        if (File.Exists(path) && JsonSerializer.Deserialize<LocalSecrets>(File.ReadAllText(path), Json) is { } existing)
        {
            return existing;
        }
        var secrets = new LocalSecrets(NewSecret(), NewSecret(), NewSecret());
        Directory.CreateDirectory(repo.StateDir);
        File.WriteAllText(path, JsonSerializer.Serialize(secrets, Json));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return secrets;
    }

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
