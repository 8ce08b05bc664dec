using Npgsql;
using Platform.Data;
using Platform.FineTune;
using Platform.Services.FineTune.Contracts;

namespace Platform.Services.FineTune.Data;

/// <summary>Uploaded datasets (finetune.files); every statement runs in a <see cref="TenantScope"/>.</summary>
public sealed class FileStore(NpgsqlDataSource db)
{
    private const string Columns = "id, bytes, created_at, filename, purpose, model, examples, tokens, trainable_tokens, max_example_tokens";

    public async Task<FileObject> InsertAsync(Guid tenantId, string id, string filename, long bytes, DatasetSummary summary, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"""
            INSERT INTO finetune.files (id, tenant_id, filename, purpose, bytes, model, examples, tokens, trainable_tokens, max_example_tokens)
            VALUES ($1, $2, $3, 'fine-tune', $4, $5, $6, $7, $8, $9)
            RETURNING {Columns}
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = filename });
        cmd.Parameters.Add(new() { Value = bytes });
        cmd.Parameters.Add(new() { Value = summary.Model });
        cmd.Parameters.Add(new() { Value = summary.Examples });
        cmd.Parameters.Add(new() { Value = summary.Tokens });
        cmd.Parameters.Add(new() { Value = summary.TrainableTokens });
        cmd.Parameters.Add(new() { Value = summary.MaxExampleTokens });
        FileObject file;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            file = Read(reader);
        }
        await scope.CommitAsync(ct);
        return file;
    }

    public async Task<IReadOnlyList<FileObject>> ListAsync(Guid tenantId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"SELECT {Columns} FROM finetune.files ORDER BY created_at DESC, id DESC");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var files = new List<FileObject>();
        while (await reader.ReadAsync(ct))
        {
            files.Add(Read(reader));
        }
        return files;
    }

    public async Task<FileObject?> GetAsync(Guid tenantId, string id, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"SELECT {Columns} FROM finetune.files WHERE id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Deletes the row unless an active job trains on it: (deleted, inUse).</summary>
    public async Task<(bool Deleted, bool InUse)> DeleteAsync(Guid tenantId, string id, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using (var busy = scope.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM finetune.jobs WHERE (training_file = $1 OR validation_file = $1) AND status = ANY($2))
            """))
        {
            busy.Parameters.Add(new() { Value = id });
            busy.Parameters.Add(new() { Value = JobStatus.Active.ToArray() });
            if ((bool)(await busy.ExecuteScalarAsync(ct))!)
            {
                return (false, true);
            }
        }
        await using var cmd = scope.CreateCommand("DELETE FROM finetune.files WHERE id = $1");
        cmd.Parameters.Add(new() { Value = id });
        var deleted = await cmd.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        return (deleted, false);
    }

    private static FileObject Read(NpgsqlDataReader r)
    {
        var tokens = r.GetInt64(7);
        var summary = new DatasetSummary(r.GetString(5), r.GetInt32(6), tokens, r.GetInt64(8), r.GetInt32(9), tokens,
            new Hyperparameters().NEpochs, tokens * new Hyperparameters().NEpochs);
        return new FileObject(r.GetString(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2).ToUnixTimeSeconds(),
            r.GetString(3), r.GetString(4), summary);
    }
}
