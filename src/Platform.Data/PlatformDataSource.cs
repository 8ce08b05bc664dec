using Npgsql;

namespace Platform.Data;

/// <summary>Creates the one Npgsql data source a service uses, with pgvector types mapped.</summary>
public static class PlatformDataSource
{
    public static NpgsqlDataSource Create(string connectionString, string applicationName)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = applicationName,
        };
        var builder = new NpgsqlDataSourceBuilder(csb.ConnectionString);
        builder.UseVector();
        return builder.Build();
    }
}
