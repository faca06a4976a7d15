using Fleet.Silo.Auth;
using Fleet.Silo.Hosting;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Silo.Tests.Auth;

/// <summary>The key cache against a fake clock: what it trusts, for how long, and what it checks every time.</summary>
public sealed class ApiKeyValidatorTests : IDisposable
{
    private readonly SqliteTestDatabase _file = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 31, 18, 0, 0, TimeSpan.Zero));

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task ARevocationInTheTableShowsWhenTheCacheTimeHasPassed()
    {
        var (validator, store) = await CreateAsync(TimeSpan.FromSeconds(30));
        var (key, record) = await AddKeyAsync(store, expiresAt: null);
        Assert.Equal(record.Name, (await validator.CheckAsync(key, CancellationToken.None)).Actor?.Name);

        await store.RevokeAsync(record.Id, _time.GetUtcNow(), new KeyActor("x", "x"), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.NotNull((await validator.CheckAsync(key, CancellationToken.None)).Actor);

        _time.Advance(TimeSpan.FromSeconds(1));
        var refused = await validator.CheckAsync(key, CancellationToken.None);
        Assert.Null(refused.Actor);
        Assert.Contains("was revoked", refused.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiryIsCheckedOnEveryRequestNotOnlyWhenLookedUp()
    {
        var (validator, store) = await CreateAsync(TimeSpan.FromMinutes(10));
        var (key, _) = await AddKeyAsync(store, expiresAt: _time.GetUtcNow().AddSeconds(5));
        Assert.NotNull((await validator.CheckAsync(key, CancellationToken.None)).Actor);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Contains("expired", (await validator.CheckAsync(key, CancellationToken.None)).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyOfTheRightShapeButAnotherHashIsRefused()
    {
        var (validator, store) = await CreateAsync(TimeSpan.FromSeconds(30));
        var (key, _) = await AddKeyAsync(store, expiresAt: null);
        var other = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');

        Assert.Null((await validator.CheckAsync(other, CancellationToken.None)).Actor);
        Assert.Null((await validator.CheckAsync(new string('k', ApiKeySecret.MaxLength + 1), CancellationToken.None)).Actor);
        Assert.Null((await validator.CheckAsync("fk_short", CancellationToken.None)).Actor);
    }

    [Fact]
    public async Task TheBootstrapKeyIsAdminWithoutARow()
    {
        var (validator, _) = await CreateAsync(TimeSpan.Zero, bootstrap: "a-bootstrap-key-that-is-long-enough-0123456789");

        var check = await validator.CheckAsync("a-bootstrap-key-that-is-long-enough-0123456789", CancellationToken.None);

        Assert.Equal(("bootstrap", FleetRoles.Admin), (check.Actor!.Name, check.Actor.Role));
    }

    private async Task<(string Key, ApiKeyRecord Record)> AddKeyAsync(ApiKeyStore store, DateTimeOffset? expiresAt)
    {
        var key = ApiKeySecret.Generate();
        var hash = ApiKeySecret.Hash(key);
        var record = new ApiKeyRecord(
            ApiKeySecret.IdOf(hash), Convert.ToHexStringLower(hash), "cached", FleetRoles.Operator, _time.GetUtcNow(), new KeyActor("t", "test"), expiresAt);
        await store.CreateAsync(record, CancellationToken.None);
        return (key, record);
    }

    private async Task<(ApiKeyValidator Validator, ApiKeyStore Store)> CreateAsync(TimeSpan ttl, string bootstrap = "unused-bootstrap-key-0123456789-0123456789")
    {
        await SchemaInstaller.ApplySqliteAsync(_file.Path);
        var database = new SqliteFleetDatabase(Path.GetFullPath(_file.Path));
        database.MarkSchemaApplied();
        var store = new ApiKeyStore(database);
        var auth = Options.Create(new FleetAuthOptions { BootstrapAdminKey = bootstrap, KeyCacheTtl = ttl });
        var fleet = Options.Create(new FleetOptions { DataDirectory = Path.GetDirectoryName(_file.Path)! });
        var key = new BootstrapAdminKey(auth, fleet, NullLogger<BootstrapAdminKey>.Instance);
        return (new ApiKeyValidator(store, key, auth, _time), store);
    }
}
