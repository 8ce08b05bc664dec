using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Data;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Security;

/// <summary>
/// Keeps key lookups off PostgreSQL on the hot path. Entries live <see cref="GatewayOptions.KeyCacheSeconds"/>
/// unless <see cref="KeyInvalidationBus"/> evicts them first (revoke, rotate, plan change: within
/// milliseconds on every replica). Unknown ids are remembered briefly so a flood of made-up keys cannot
/// reach the database at request rate. While Redis is down invalidations cannot arrive, so entries are
/// then trusted for only <see cref="DisconnectedTtl"/>.
/// </summary>
public sealed class ApiKeyCache(KeyLookup lookup, IConnectionMultiplexer redis, IOptions<GatewayOptions> options, TimeProvider clock)
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DisconnectedTtl = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(options.Value.KeyCacheSeconds);

    public async ValueTask<ApiKeyRecord?> GetAsync(string keyId, CancellationToken ct)
    {
        var now = clock.GetTimestamp();
        if (_entries.TryGetValue(keyId, out var entry) && !IsStale(entry, now))
        {
            return await entry.Load.WaitAsync(ct);
        }
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        var fresh = new Entry(LoadAsync(keyId), now);
        entry = _entries.AddOrUpdate(keyId, fresh, (_, old) => IsStale(old, now) ? fresh : old);
        return await entry.Load.WaitAsync(ct);
    }

    public void Invalidate(string keyId) => _entries.TryRemove(keyId, out _);

    public void InvalidateAll() => _entries.Clear();

    private async Task<ApiKeyRecord?> LoadAsync(string keyId)
    {
        try
        {
            // Not the request's token: one caller giving up must not fail the load others share.
            return await lookup.FindAsync(keyId, CancellationToken.None);
        }
        catch
        {
            _entries.TryRemove(keyId, out _);
            throw;
        }
    }

    private bool IsStale(Entry entry, long now)
    {
        if (!entry.Load.IsCompleted)
        {
            return false;
        }
        var age = clock.GetElapsedTime(entry.LoadedAt, now);
        var ttl = entry.Load.IsCompletedSuccessfully && entry.Load.Result is null ? NegativeTtl : _ttl;
        if (!redis.IsConnected && ttl > DisconnectedTtl)
        {
            ttl = DisconnectedTtl;
        }
        return age >= ttl || entry.Load.IsFaulted;
    }

    private sealed record Entry(Task<ApiKeyRecord?> Load, long LoadedAt);
}
