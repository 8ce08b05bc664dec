using Npgsql;
using Platform.Data;

namespace Platform.Services.Rag.Storage;

/// <summary>A tenant's RAG settings; the cache is off until the tenant turns it on.</summary>
public sealed record TenantSettings(bool LlmCacheEnabled, int LlmCacheTtlSeconds)
{
    public static readonly TenantSettings Default = new(false, 3600);
}

/// <summary>rag.tenant_settings, always inside a <see cref="TenantScope"/>.</summary>
public sealed class SettingsStore(NpgsqlDataSource dataSource)
{
    public async Task<TenantSettings> GetAsync(Guid tenant, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("SELECT llm_cache_enabled, llm_cache_ttl_seconds FROM rag.tenant_settings WHERE tenant_id = $1");
        cmd.Parameters.Add(new() { Value = tenant });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new TenantSettings(reader.GetBoolean(0), reader.GetInt32(1)) : TenantSettings.Default;
    }

    public async Task<TenantSettings> SetAsync(Guid tenant, TenantSettings settings, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant, ct);
        await using var cmd = scope.CreateCommand("""
            INSERT INTO rag.tenant_settings (tenant_id, llm_cache_enabled, llm_cache_ttl_seconds) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id) DO UPDATE SET llm_cache_enabled = EXCLUDED.llm_cache_enabled,
                llm_cache_ttl_seconds = EXCLUDED.llm_cache_ttl_seconds, updated_at = now()
            """);
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = settings.LlmCacheEnabled });
        cmd.Parameters.Add(new() { Value = settings.LlmCacheTtlSeconds });
        await cmd.ExecuteNonQueryAsync(ct);
        await scope.CommitAsync(ct);
        return settings;
    }
}
