using Npgsql;
using Platform.Services.Gateway.Policy;

namespace Platform.Services.Gateway.Data;

/// <summary>The plan catalogue (gateway.plans): global, not tenant data.</summary>
public sealed class PlanStore(NpgsqlDataSource db)
{
    public async Task<IReadOnlyList<PlanLimits>> ListAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT name, requests_per_minute, tokens_per_minute, max_concurrent, max_sessions, session_idle_seconds, queue_weight
            FROM gateway.plans ORDER BY requests_per_minute, name
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var plans = new List<PlanLimits>();
        while (await r.ReadAsync(ct))
        {
            plans.Add(new PlanLimits(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6)));
        }
        return plans;
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT 1 FROM gateway.plans WHERE name = $1");
        cmd.Parameters.Add(new() { Value = name });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }
}
