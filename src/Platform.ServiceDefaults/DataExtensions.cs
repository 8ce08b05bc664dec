using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Data;
using Platform.Data.Migrations;

namespace Platform.ServiceDefaults;

public static class DataExtensions
{
    /// <summary>
    /// Registers the service's one <see cref="NpgsqlDataSource"/> (pgvector mapped), applies the
    /// schema's migrations before the host starts serving, and adds PostgreSQL to readiness.
    /// </summary>
    public static WebApplicationBuilder AddPlatformDatabase(this WebApplicationBuilder builder, string schema)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException(
                "No database configured: set ConnectionStrings__Postgres or DATABASE_URL (./platform up does this for you).");
        var applicationName = builder.Environment.ApplicationName;
        builder.Services.AddSingleton(_ => PlatformDataSource.Create(connectionString, applicationName));
        builder.Services.AddHostedService(sp => new MigrationHostedService(sp.GetRequiredService<NpgsqlDataSource>(), schema));
        builder.Services.AddHealthChecks().AddReadinessCheck<PostgresHealthCheck>("postgres");
        return builder;
    }

    private sealed class MigrationHostedService(NpgsqlDataSource dataSource, string schema) : IHostedService
    {
        // Runs during host start, before Kestrel accepts requests, so a ready service is a migrated one.
        public Task StartAsync(CancellationToken cancellationToken) => Migrator.ApplyAsync(dataSource, schema, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable: " + e.Message);
        }
    }
}
