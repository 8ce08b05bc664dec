using Npgsql;
using Platform.Data;

namespace Platform.Services.Rag.Storage;

/// <summary>One conversation in a list: its first question (the title) and how long it is.</summary>
public sealed record SessionSummary(Guid Id, string Title, int Messages, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Lists one person's sessions (rag.sessions of the tenant and principal), most recently used first.</summary>
public static class SessionListing
{
    public const int TitleLength = 80;

    public static async Task<IReadOnlyList<SessionSummary>> ListAsync(NpgsqlDataSource dataSource, Guid tenant, string principal, int limit,
        CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT s.id, coalesce(first.content, ''), (SELECT count(*) FROM rag.session_messages m WHERE m.session_id = s.id)::int,
                   s.created_at, s.updated_at
            FROM rag.sessions s
            LEFT JOIN LATERAL (
                SELECT content FROM rag.session_messages m
                WHERE m.session_id = s.id AND m.role = 'user' ORDER BY m.seq LIMIT 1) first ON true
            WHERE s.tenant_id = $1 AND s.principal = $2
            ORDER BY s.updated_at DESC, s.id DESC
            LIMIT $3
            """);
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = principal });
        cmd.Parameters.Add(new() { Value = limit });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var sessions = new List<SessionSummary>();
        while (await reader.ReadAsync(ct))
        {
            var question = reader.GetString(1).ReplaceLineEndings(" ").Trim();
            sessions.Add(new SessionSummary(reader.GetGuid(0), question.Length > TitleLength ? question[..TitleLength] + "…" : question,
                reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return sessions;
    }
}
