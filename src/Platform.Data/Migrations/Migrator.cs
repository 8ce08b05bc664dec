using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Platform.Data.Migrations;

/// <summary>
/// Forward-only SQL migrations. Each service owns one schema; its scripts are embedded resources
/// named <c>Migrations/&lt;schema&gt;/NNNN_description.sql</c>. Applied scripts are recorded in
/// <c>&lt;schema&gt;.schema_migrations</c> with a checksum, and a script edited after it was applied
/// stops start-up instead of silently diverging.
/// </summary>
public static partial class Migrator
{
    public static async Task<IReadOnlyList<string>> ApplyAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken = default)
    {
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException($"'{schema}' is not a valid schema name.", nameof(schema));
        }
        // A service with no tables yet still gets its schema and migration history.
        var scripts = MigrationScript.Load(typeof(Migrator).Assembly, schema);
        await BootstrapAsync(dataSource, schema, cancellationToken);
        var applied = new List<string>();
        foreach (var script in scripts)
        {
            if (await ApplyOneAsync(dataSource, schema, script, cancellationToken))
            {
                applied.Add(script.Name);
            }
        }
        if (applied.Count > 0)
        {
            await dataSource.ReloadTypesAsync(cancellationToken);
        }
        return applied;
    }

    private static async Task BootstrapAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        // Roles and extensions are cluster/database-wide; several services may start at once, so
        // every statement here tolerates having lost a race to another service.
        var sql = $"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Roles.Tenant}') THEN
                CREATE ROLE {Roles.Tenant} NOLOGIN;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            DO $$ BEGIN
              EXECUTE format('GRANT {Roles.Tenant} TO %I', current_user);
            EXCEPTION WHEN OTHERS THEN NULL;
            END $$;
            DO $$ BEGIN
              CREATE EXTENSION IF NOT EXISTS vector;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            CREATE SCHEMA IF NOT EXISTS {schema};
            GRANT USAGE ON SCHEMA {schema} TO {Roles.Tenant};
            CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
              version integer PRIMARY KEY,
              name text NOT NULL,
              checksum text NOT NULL,
              applied_at timestamptz NOT NULL DEFAULT now()
            );
            """;
        await using var cmd = dataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> ApplyOneAsync(NpgsqlDataSource dataSource, string schema, MigrationScript script, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@schema))", connection, tx))
        {
            lockCmd.Parameters.AddWithValue("schema", "platform.migrations." + schema);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var check = new NpgsqlCommand($"SELECT checksum FROM {schema}.schema_migrations WHERE version = @v", connection, tx))
        {
            check.Parameters.AddWithValue("v", script.Version);
            if (await check.ExecuteScalarAsync(cancellationToken) is string existing)
            {
                if (existing != script.Checksum)
                {
                    throw new MigrationException(
                        $"Migration {script.Name} of schema '{schema}' was changed after it was applied; add a new migration instead of editing an applied one.");
                }
                return false;
            }
        }

        await using (var apply = new NpgsqlCommand(script.Sql, connection, tx))
        {
            try
            {
                await apply.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e)
            {
                throw new MigrationException($"Migration {script.Name} of schema '{schema}' failed: {e.MessageText}", e);
            }
        }
        await using (var record = new NpgsqlCommand(
            $"INSERT INTO {schema}.schema_migrations (version, name, checksum) VALUES (@v, @n, @c)", connection, tx))
        {
            record.Parameters.AddWithValue("v", script.Version);
            record.Parameters.AddWithValue("n", script.Name);
            record.Parameters.AddWithValue("c", script.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}

/// <summary>One embedded migration script.</summary>
internal sealed partial record MigrationScript(int Version, string Name, string Sql, string Checksum)
{
    public static IReadOnlyList<MigrationScript> Load(Assembly assembly, string schema)
    {
        var prefix = $"Platform.Data.Migrations.{schema}/";
        var scripts = new List<MigrationScript>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.Replace('\\', '/').StartsWith(prefix, StringComparison.Ordinal)))
        {
            var fileName = resource[prefix.Length..];
            var match = FileName().Match(fileName);
            if (!match.Success)
            {
                throw new MigrationException($"Migration file '{fileName}' of schema '{schema}' must be named NNNN_description.sql.");
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd().Replace("\r\n", "\n");
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            scripts.Add(new MigrationScript(int.Parse(match.Groups[1].Value), fileName, sql, checksum));
        }
        var duplicate = scripts.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationException($"Schema '{schema}' has two migrations numbered {duplicate.Key}.");
        }
        return scripts.OrderBy(s => s.Version).ToList();
    }

    [GeneratedRegex(@"^(\d{4})_[a-z0-9_]+\.sql$")]
    private static partial Regex FileName();
}
