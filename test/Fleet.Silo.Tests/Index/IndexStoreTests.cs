using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;

namespace Fleet.Silo.Tests.Index;

/// <summary>The index tables on the embedded SQLite store.</summary>
public sealed class SqliteIndexStoreTests : IndexStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override Task<FleetDatabase> DatabaseAsync() => _database.FleetDatabaseAsync();

    public void Dispose() => _database.Dispose();
}

/// <summary>
/// The index tables on PostgreSQL (the cluster store), each test on a fresh database of the server
/// in FLEET_TEST_POSTGRES — which must be set (./test.sh does): without it these fail.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlIndexStoreTests : IndexStoreContract, IAsyncLifetime
{
    private PostgreSqlFleetTestDatabase? _database;

    public Task InitializeAsync() => Task.CompletedTask;

    protected override async Task<FleetDatabase> DatabaseAsync() =>
        (_database = await PostgreSqlFleetTestDatabase.CreateAsync()).Database;

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
