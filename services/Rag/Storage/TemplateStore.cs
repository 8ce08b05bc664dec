using Npgsql;
using Platform.Data;

namespace Platform.Services.Rag.Storage;

/// <summary>A tenant's named prompt template.</summary>
public sealed record PromptTemplateRecord(string Name, string Template, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>rag.prompt_templates, always inside a <see cref="TenantScope"/>.</summary>
public sealed class TemplateStore(NpgsqlDataSource dataSource)
{
    public async Task<PromptTemplateRecord> UpsertAsync(Guid tenant, string name, string template, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("""
            INSERT INTO rag.prompt_templates (tenant_id, name, template) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id, name) DO UPDATE SET template = EXCLUDED.template, updated_at = now()
            RETURNING name, template, created_at, updated_at
            """);
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = name });
        cmd.Parameters.Add(new() { Value = template });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var record = Read(reader);
        await reader.DisposeAsync();
        await scope.CommitAsync(ct);
        return record;
    }

    public async Task<PromptTemplateRecord?> GetAsync(Guid tenant, string name, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("SELECT name, template, created_at, updated_at FROM rag.prompt_templates WHERE tenant_id = $1 AND name = $2");
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = name });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<PromptTemplateRecord>> ListAsync(Guid tenant, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("SELECT name, template, created_at, updated_at FROM rag.prompt_templates WHERE tenant_id = $1 ORDER BY name");
        cmd.Parameters.Add(new() { Value = tenant });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var result = new List<PromptTemplateRecord>();
        while (await reader.ReadAsync(ct))
        {
            result.Add(Read(reader));
        }
        return result;
    }

    public async Task<bool> DeleteAsync(Guid tenant, string name, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("DELETE FROM rag.prompt_templates WHERE tenant_id = $1 AND name = $2");
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = name });
        var deleted = await cmd.ExecuteNonQueryAsync(ct) > 0;
        await scope.CommitAsync(ct);
        return deleted;
    }

    private static PromptTemplateRecord Read(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3));
}
