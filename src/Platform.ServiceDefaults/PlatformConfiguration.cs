using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults;

/// <summary>
/// Maps the platform-wide environment variables DATABASE_URL and REDIS_URL onto the
/// connection strings every service reads (ConnectionStrings:Postgres, ConnectionStrings:Redis).
/// </summary>
public static class PlatformConfiguration
{
    public static IConfigurationBuilder AddPlatformEnvironmentAliases(this IConfigurationManager configuration)
    {
        var aliases = new Dictionary<string, string?>();
        var databaseUrl = Environment.GetEnvironmentVariable("DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(databaseUrl))
        {
            aliases["ConnectionStrings:Postgres"] = Data.PostgresConnectionString.FromUrlOrKeywords(databaseUrl);
        }
        var redisUrl = Environment.GetEnvironmentVariable("REDIS_URL");
        if (!string.IsNullOrWhiteSpace(redisUrl))
        {
            aliases["ConnectionStrings:Redis"] = RedisConnectionString.FromUrlOrOptions(redisUrl);
        }
        return aliases.Count == 0 ? configuration : configuration.AddInMemoryCollection(aliases);
    }
}
