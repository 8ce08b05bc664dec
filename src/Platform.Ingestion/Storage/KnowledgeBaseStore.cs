using Npgsql;
using Platform.Data;

namespace Platform.Ingestion.Storage;

/// <summary>Knowledge bases, always inside a <see cref="TenantScope"/> so row-level security applies.</summary>
public sealed class KnowledgeBaseStore(NpgsqlDataSource dataSource)
{
    private const string Select = """
        SELECT kb.id, kb.name, kb.description, kb.embedding_model, kb.embedding_dimensions, kb.chunk_tokens, kb.chunk_overlap, kb.created_at,
               (SELECT count(*) FROM ingestion.documents d WHERE d.knowledge_base_id = kb.id)::int,
               (SELECT coalesce(sum(d.chunk_count), 0) FROM ingestion.documents d WHERE d.knowledge_base_id = kb.id)::bigint
        FROM ingestion.knowledge_bases kb
        """;

    /// <summary>Creates a knowledge base; null when the tenant already has one with that name.</summary>
    public async Task<KnowledgeBase?> CreateAsync(Guid tenantId, string name, string? description, string embeddingModel, int dimensions,
        int chunkTokens, int chunkOverlap, CancellationToken ct)
    {
        await VectorIndexes.EnsureAsync(dataSource, dimensions, ct);
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            INSERT INTO ingestion.knowledge_bases (id, tenant_id, name, description, embedding_model, embedding_dimensions, chunk_tokens, chunk_overlap)
            VALUES (@id, @tenant, @name, @description, @model, @dims, @tokens, @overlap)
            ON CONFLICT (tenant_id, lower(name)) DO NOTHING
            RETURNING created_at
            """);
        var id = Guid.CreateVersion7();
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("description", (object?)description ?? DBNull.Value);
        cmd.Parameters.AddWithValue("model", embeddingModel);
        cmd.Parameters.AddWithValue("dims", dimensions);
        cmd.Parameters.AddWithValue("tokens", chunkTokens);
        cmd.Parameters.AddWithValue("overlap", chunkOverlap);
        if (await cmd.ExecuteScalarAsync(ct) is not DateTime created)
        {
            return null;
        }
        await scope.CommitAsync(ct);
        return new KnowledgeBase(id, name, description, embeddingModel, dimensions, chunkTokens, chunkOverlap,
            new DateTimeOffset(created, TimeSpan.Zero), 0, 0);
    }

    public async Task<IReadOnlyList<KnowledgeBase>> ListAsync(Guid tenantId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        await using var cmd = scope.CreateCommand(Select + " ORDER BY kb.created_at, kb.id");
        return await ReadAllAsync(cmd, ct);
    }

    public async Task<KnowledgeBase?> GetAsync(Guid tenantId, Guid id, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        return await GetAsync(scope, id, ct);
    }

    /// <summary>Reads one knowledge base inside an existing scope; null when it is not the tenant's.</summary>
    public static async Task<KnowledgeBase?> GetAsync(TenantScope scope, Guid id, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand(Select + " WHERE kb.id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return (await ReadAllAsync(cmd, ct)).SingleOrDefault();
    }

    /// <summary>Deletes the knowledge base with its documents, chunks and jobs; false when it is not the tenant's.</summary>
    public async Task<bool> DeleteAsync(Guid tenantId, Guid id, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        await using var cmd = scope.CreateCommand("DELETE FROM ingestion.knowledge_bases WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        var deleted = await cmd.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        return deleted;
    }

    private static async Task<IReadOnlyList<KnowledgeBase>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<KnowledgeBase>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new KnowledgeBase(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6),
                new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero), reader.GetInt32(8), reader.GetInt64(9)));
        }
        return list;
    }
}
