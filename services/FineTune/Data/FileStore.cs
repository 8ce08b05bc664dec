using Npgsql;
using NpgsqlTypes;
using Platform.Data;
using Platform.FineTune;
using Platform.Services.FineTune.Contracts;

namespace Platform.Services.FineTune.Data;

/// <summary>Uploaded datasets (finetune.files); every statement runs in a <see cref="TenantScope"/>.</summary>
public sealed class FileStore(NpgsqlDataSource db)
{
    private const string Columns = "id, bytes, created_at, filename, purpose, model, examples, tokens, trainable_tokens, max_example_tokens";

    /// <summary>Inserts the file and, when it was counted with a model, its counts for that model, in one transaction.</summary>
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
        cmd.Parameters.Add(new() { Value = (object?)summary.Model ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = summary.Examples });
        cmd.Parameters.Add(new() { Value = (object?)summary.Tokens ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = (object?)summary.TrainableTokens ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = (object?)summary.MaxExampleTokens ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        FileObject file;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            file = Read(reader);
        }
        if (summary is { Model: { } model, Tokens: { } tokens, TrainableTokens: { } trainable, MaxExampleTokens: { } longest })
        {
            await InsertCountsAsync(scope, id, model, new TokenCounts(summary.Examples, tokens, trainable, longest), ct);
        }
        await scope.CommitAsync(ct);
        return file;
    }

    /// <summary>The file's counts with <paramref name="model"/>, if it was counted with it before.</summary>
    public async Task<TokenCounts?> GetCountsAsync(Guid tenantId, string fileId, string model, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT examples, tokens, trainable_tokens, max_example_tokens FROM finetune.file_token_counts WHERE file_id = $1 AND model = $2
            """);
        cmd.Parameters.Add(new() { Value = fileId });
        cmd.Parameters.Add(new() { Value = model });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new TokenCounts(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3)) : null;
    }

    /// <summary>Remembers a valid file's counts with <paramref name="model"/> (a no-op when the file is gone or already counted).</summary>
    public async Task SaveCountsAsync(Guid tenantId, string fileId, string model, TokenCounts counts, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await InsertCountsAsync(scope, fileId, model, counts, ct);
        await scope.CommitAsync(ct);
    }

    private static async Task InsertCountsAsync(TenantScope scope, string fileId, string model, TokenCounts counts, CancellationToken ct)
    {
        // Selected from files so a file deleted meanwhile gets no row (and no foreign-key error).
        await using var cmd = scope.CreateCommand("""
            INSERT INTO finetune.file_token_counts (tenant_id, file_id, model, examples, tokens, trainable_tokens, max_example_tokens)
            SELECT tenant_id, id, $2, $3, $4, $5, $6 FROM finetune.files WHERE id = $1
            ON CONFLICT DO NOTHING
            """);
        cmd.Parameters.Add(new() { Value = fileId });
        cmd.Parameters.Add(new() { Value = model });
        cmd.Parameters.Add(new() { Value = counts.Examples });
        cmd.Parameters.Add(new() { Value = counts.Tokens });
        cmd.Parameters.Add(new() { Value = counts.TrainableTokens });
        cmd.Parameters.Add(new() { Value = counts.MaxExampleTokens });
        await cmd.ExecuteNonQueryAsync(ct);
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
        var summary = r.IsDBNull(5) || r.IsDBNull(7)
            ? DatasetSummary.Uncounted(r.GetInt32(6))
            : DatasetSummary.Counted(r.GetString(5), new TokenCounts(r.GetInt32(6), r.GetInt64(7), r.GetInt64(8), r.GetInt32(9)));
        return new FileObject(r.GetString(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2).ToUnixTimeSeconds(),
            r.GetString(3), r.GetString(4), summary);
    }
}
