using Npgsql;
using Platform.Scheduling.Inventory;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Pool;

namespace Platform.Services.Scheduler.Data;

/// <summary>A placement as stored.</summary>
public sealed record StoredPlacement(
    string WorkloadId, Guid TenantId, string Priority, string Kind, long MemoryPerDeviceBytes,
    IReadOnlyList<string> DeviceIds, bool Borrowing, DateTimeOffset PlacedAt, int? LeaseSeconds = null);

/// <summary>A node as stored, with its devices.</summary>
public sealed record StoredNode(GpuNode Node, string Source, DateTimeOffset LastHeartbeat, DateTimeOffset? DrainedAt);

/// <summary>Persistent inventory and placements (schema <c>scheduler</c>). The pool is platform-wide, so it runs as the schema owner.</summary>
public sealed class PoolStore(NpgsqlDataSource dataSource)
{
    /// <summary>Inserts or replaces a node and its devices in one transaction.</summary>
    public async Task UpsertNodeAsync(GpuNode node, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand(
            """
            INSERT INTO scheduler.nodes (id, source, registered_at, last_heartbeat, drained_at)
            VALUES ($1, $2, $3, $3, NULL)
            ON CONFLICT (id) DO UPDATE SET source = $2, registered_at = $3, last_heartbeat = $3, drained_at = NULL
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue(node.Id);
            cmd.Parameters.AddWithValue(source);
            cmd.Parameters.AddWithValue(now);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var delete = new NpgsqlCommand("DELETE FROM scheduler.devices WHERE node_id = $1", connection, tx))
        {
            delete.Parameters.AddWithValue(node.Id);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var d in node.Devices)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO scheduler.devices (id, node_id, model, memory_bytes, nvlink_group, mig_slice_bytes, mps_shares) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                connection, tx);
            insert.Parameters.AddWithValue(d.Id);
            insert.Parameters.AddWithValue(node.Id);
            insert.Parameters.AddWithValue(d.Model);
            insert.Parameters.AddWithValue(d.MemoryBytes);
            insert.Parameters.AddWithValue(d.NvLinkGroup);
            insert.Parameters.AddWithValue(d.MigSliceBytes.ToArray());
            insert.Parameters.AddWithValue(d.MpsShares);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Deletes configured nodes (source <c>config</c>) that are no longer in the configuration, with their devices.</summary>
    public async Task DeleteConfiguredNodesExceptAsync(IReadOnlyCollection<string> keep, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM scheduler.nodes WHERE source = 'config' AND NOT (id = ANY($1))");
        cmd.Parameters.AddWithValue(keep.ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a heartbeat; false when the node is unknown.</summary>
    public async Task<bool> HeartbeatAsync(string nodeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE scheduler.nodes SET last_heartbeat = $2, drained_at = NULL WHERE id = $1");
        cmd.Parameters.AddWithValue(nodeId);
        cmd.Parameters.AddWithValue(now);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Marks a node drained and deletes the placements that were on it (they are requeued in memory).</summary>
    public async Task DrainAsync(string nodeId, IReadOnlyCollection<string> evictedWorkloads, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand("UPDATE scheduler.nodes SET drained_at = $2 WHERE id = $1", connection, tx))
        {
            cmd.Parameters.AddWithValue(nodeId);
            cmd.Parameters.AddWithValue(now);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var delete = new NpgsqlCommand("DELETE FROM scheduler.placements WHERE workload_id = ANY($1)", connection, tx))
        {
            delete.Parameters.AddWithValue(evictedWorkloads.ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Stores a placement, with its lease length when it has one.</summary>
    public async Task InsertPlacementAsync(RunningWorkload w, Guid tenantId, bool borrowing, TimeSpan? lease, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            INSERT INTO scheduler.placements (workload_id, tenant_id, priority, kind, memory_per_device, device_ids, borrowing, placed_at, lease_seconds)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """);
        cmd.Parameters.AddWithValue(w.Request.Id);
        cmd.Parameters.AddWithValue(tenantId);
        cmd.Parameters.AddWithValue(w.Request.Priority.ToName());
        cmd.Parameters.AddWithValue(WorkloadKinds.ToName(w.Request.Kind));
        cmd.Parameters.AddWithValue(w.Request.MemoryPerDeviceBytes);
        cmd.Parameters.AddWithValue(w.DeviceIds.ToArray());
        cmd.Parameters.AddWithValue(borrowing);
        cmd.Parameters.AddWithValue(w.StartedAt);
        cmd.Parameters.Add(new NpgsqlParameter { Value = lease is { } l ? (int)Math.Ceiling(l.TotalSeconds) : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes a placement; false when there was none.</summary>
    public async Task<bool> DeletePlacementAsync(string workloadId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM scheduler.placements WHERE workload_id = $1");
        cmd.Parameters.AddWithValue(workloadId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Every node with its devices.</summary>
    public async Task<IReadOnlyList<StoredNode>> NodesAsync(CancellationToken cancellationToken)
    {
        var devices = new Dictionary<string, List<GpuDevice>>(StringComparer.Ordinal);
        await using (var cmd = dataSource.CreateCommand("SELECT id, node_id, model, memory_bytes, nvlink_group, mig_slice_bytes, mps_shares FROM scheduler.devices ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var node = reader.GetString(1);
                if (!devices.TryGetValue(node, out var list))
                {
                    devices[node] = list = [];
                }
                list.Add(new GpuDevice(reader.GetString(0), node, reader.GetString(2), reader.GetInt64(3), reader.GetString(4))
                {
                    MigSliceBytes = reader.GetFieldValue<long[]>(5),
                    MpsShares = reader.GetInt32(6),
                });
            }
        }
        var nodes = new List<StoredNode>();
        await using (var cmd = dataSource.CreateCommand("SELECT id, source, last_heartbeat, drained_at FROM scheduler.nodes ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                nodes.Add(new StoredNode(new GpuNode(id, devices.GetValueOrDefault(id) ?? []), reader.GetString(1),
                    reader.GetFieldValue<DateTimeOffset>(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }
        return nodes;
    }

    /// <summary>Every placement.</summary>
    public async Task<IReadOnlyList<StoredPlacement>> PlacementsAsync(CancellationToken cancellationToken)
    {
        var placements = new List<StoredPlacement>();
        await using var cmd = dataSource.CreateCommand(
            "SELECT workload_id, tenant_id, priority, kind, memory_per_device, device_ids, borrowing, placed_at, lease_seconds FROM scheduler.placements ORDER BY placed_at, workload_id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            placements.Add(new StoredPlacement(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.GetInt64(4), reader.GetFieldValue<string[]>(5), reader.GetBoolean(6), reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8)));
        }
        return placements;
    }
}
