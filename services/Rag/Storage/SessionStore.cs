using Npgsql;
using NpgsqlTypes;
using Platform.Data;
using Platform.Rag;

namespace Platform.Services.Rag.Storage;

/// <summary>One stored message of a session.</summary>
public sealed record SessionMessage(string Role, string Content, string? CitationsJson, DateTimeOffset CreatedAt);

/// <summary>rag.sessions and rag.session_messages, always inside a <see cref="TenantScope"/>.</summary>
public sealed class SessionStore(NpgsqlDataSource dataSource)
{
    /// <summary>The last <paramref name="limit"/> messages of the session, oldest first; null when the session is not this tenant's.</summary>
    public async Task<IReadOnlyList<SessionMessage>?> HistoryAsync(Guid tenant, Guid sessionId, int limit, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using (var exists = scope.CreateCommand("SELECT 1 FROM rag.sessions WHERE tenant_id = $1 AND id = $2"))
        {
            exists.Parameters.Add(new() { Value = tenant });
            exists.Parameters.Add(new() { Value = sessionId });
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                return null;
            }
        }
        await using var cmd = scope.CreateCommand("""
            SELECT role, content, citations::text, created_at FROM (
                SELECT role, content, citations, created_at, seq FROM rag.session_messages
                WHERE tenant_id = $1 AND session_id = $2 ORDER BY seq DESC LIMIT $3) m
            ORDER BY seq
            """);
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = sessionId });
        cmd.Parameters.Add(new() { Value = limit });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var result = new List<SessionMessage>();
        while (await reader.ReadAsync(ct))
        {
            result.Add(new SessionMessage(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return result;
    }

    /// <summary>Appends a question and its answer, creating the session if it is new, in one transaction.</summary>
    public async Task AppendAsync(Guid tenant, string principal, Guid sessionId, PromptTurn question, PromptTurn answer, string citationsJson,
        CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using (var upsert = scope.CreateCommand("""
            INSERT INTO rag.sessions (id, tenant_id, principal) VALUES ($1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET updated_at = now()
            """))
        {
            upsert.Parameters.Add(new() { Value = sessionId });
            upsert.Parameters.Add(new() { Value = tenant });
            upsert.Parameters.Add(new() { Value = principal });
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await using (var insert = scope.CreateCommand("""
            INSERT INTO rag.session_messages (session_id, tenant_id, role, content, citations)
            VALUES ($1, $2, $3, $4, NULL), ($1, $2, $5, $6, $7)
            """))
        {
            insert.Parameters.Add(new() { Value = sessionId });
            insert.Parameters.Add(new() { Value = tenant });
            insert.Parameters.Add(new() { Value = question.Role });
            insert.Parameters.Add(new() { Value = question.Content });
            insert.Parameters.Add(new() { Value = answer.Role });
            insert.Parameters.Add(new() { Value = answer.Content });
            insert.Parameters.Add(new() { Value = citationsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await scope.CommitAsync(ct);
    }

    public async Task<bool> DeleteAsync(Guid tenant, Guid sessionId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("DELETE FROM rag.sessions WHERE tenant_id = $1 AND id = $2");
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = sessionId });
        var deleted = await cmd.ExecuteNonQueryAsync(ct) > 0;
        await scope.CommitAsync(ct);
        return deleted;
    }
}
