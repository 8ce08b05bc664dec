using System.Collections.Concurrent;
using Npgsql;

namespace Platform.Ingestion.Storage;

/// <summary>
/// HNSW indexes need a fixed dimension, and knowledge bases may use different models, so each
/// dimension in use gets its own partial expression index on <c>embedding::vector(d)</c>.
/// 384 (the lexical embedder and the small sentence-transformers) is created by the migration.
/// </summary>
public static class VectorIndexes
{
    private static readonly ConcurrentDictionary<(string Database, int Dimensions), bool> Known = new();

    /// <summary>The index name for vectors of <paramref name="dimensions"/>.</summary>
    public static string Name(int dimensions) => $"chunks_embedding_hnsw_{dimensions}";

    public static async Task EnsureAsync(NpgsqlDataSource dataSource, int dimensions, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, 2000);
        var key = (dataSource.ConnectionString, dimensions);
        if (Known.ContainsKey(key))
        {
            return;
        }
        // dimensions is a validated integer, so formatting it into DDL is safe.
        await using var cmd = dataSource.CreateCommand(
            $"CREATE INDEX IF NOT EXISTS {Name(dimensions)} ON ingestion.chunks USING hnsw ((embedding::vector({dimensions})) vector_cosine_ops) WHERE dimensions = {dimensions}");
        await cmd.ExecuteNonQueryAsync(ct);
        Known[key] = true;
    }
}
