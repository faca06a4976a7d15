using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Auth;

/// <summary>What a presented key turned out to be: its holder, or why it is refused.</summary>
internal readonly record struct ApiKeyCheck(FleetActor? Actor, string? Refusal)
{
    public static ApiKeyCheck Accepted(FleetActor actor) => new(actor, null);

    public static ApiKeyCheck Refused(string why) => new(null, why);
}

/// <summary>
/// Turns a presented key into its holder. Keys are looked up in the key table by their
/// hash-derived id and what was found (or not found) is kept for Fleet:Auth:KeyCacheTtl, so
/// authentication costs a hash and a dictionary hit, not a database read — and no request goes
/// through a shared grain. Expiry is checked on every request; revocation shows after the cache
/// time at the latest (at once on the silo that revoked, see <see cref="Forget"/>).
/// </summary>
internal sealed class ApiKeyValidator(
    ApiKeyStore store,
    BootstrapAdminKey bootstrap,
    IOptions<FleetAuthOptions> options,
    TimeProvider time)
{
    /// <summary>Bounds the cache; random keys from a scanner must not grow it without end.</summary>
    internal const int CacheCapacity = 10_000;

    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = options.Value.KeyCacheTtl;

    public async ValueTask<ApiKeyCheck> CheckAsync(string key, CancellationToken cancellationToken)
    {
        if (key.Length > ApiKeySecret.MaxLength)
        {
            return ApiKeyCheck.Refused("The API key is not valid.");
        }

        var hash = ApiKeySecret.Hash(key);
        if (bootstrap.Matches(hash))
        {
            return ApiKeyCheck.Accepted(bootstrap.Actor);
        }

        if (!ApiKeySecret.HasGeneratedShape(key))
        {
            return ApiKeyCheck.Refused("The API key is not valid.");
        }

        var record = await LookUpAsync(ApiKeySecret.IdOf(hash), cancellationToken);
        if (record is null || !ApiKeySecret.SameHash(hash, record.KeyHash))
        {
            return ApiKeyCheck.Refused("The API key is not valid.");
        }

        if (record.RevokedAt is not null)
        {
            return ApiKeyCheck.Refused($"The API key '{record.Name}' ({record.Id}) was revoked.");
        }

        if (record.IsExpired(time.GetUtcNow()))
        {
            return ApiKeyCheck.Refused($"The API key '{record.Name}' ({record.Id}) expired at {record.ExpiresAt:O}.");
        }

        return ApiKeyCheck.Accepted(new FleetActor(record.Id, record.Name, record.Role));
    }

    /// <summary>Drops what this silo knows about a key, so a change made here holds at once.</summary>
    public void Forget(string id) => _cache.TryRemove(id, out _);

    private async Task<ApiKeyRecord?> LookUpAsync(string id, CancellationToken cancellationToken)
    {
        if (_ttl <= TimeSpan.Zero)
        {
            return await store.FindAsync(id, cancellationToken);
        }

        var now = time.GetTimestamp();
        if (!_cache.TryGetValue(id, out var entry) || entry.IsStale(now, time, _ttl))
        {
            if (_cache.Count >= CacheCapacity)
            {
                Prune(now);
            }

            // Concurrent misses for one key share one lookup: only the entry that lands in the
            // cache starts it. It does not take the request's token, others may wait for it.
            var fresh = new CacheEntry(new Lazy<Task<ApiKeyRecord?>>(() => store.FindAsync(id, CancellationToken.None)), now);
            entry = _cache.AddOrUpdate(id, fresh, (_, old) => old.IsStale(now, time, _ttl) ? fresh : old);
        }

        try
        {
            return await entry.Lookup.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (entry.Lookup.Value.IsFaulted)
        {
            _cache.TryRemove(KeyValuePair.Create(id, entry));
            throw;
        }
    }

    private void Prune(long now)
    {
        foreach (var (id, entry) in _cache)
        {
            if (entry.IsStale(now, time, _ttl))
            {
                _cache.TryRemove(KeyValuePair.Create(id, entry));
            }
        }

        if (_cache.Count >= CacheCapacity)
        {
            _cache.Clear();
        }
    }

    private sealed record CacheEntry(Lazy<Task<ApiKeyRecord?>> Lookup, long LoadedAt)
    {
        public bool IsStale(long now, TimeProvider time, TimeSpan ttl) =>
            (Lookup.IsValueCreated && Lookup.Value.IsFaulted) || time.GetElapsedTime(LoadedAt, now) >= ttl;
    }
}
