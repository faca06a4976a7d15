using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;

namespace Fleet.Silo.Tests.Audit;

/// <summary>
/// The audit and key tables on PostgreSQL (the cluster store), each test on a fresh database of the
/// server in FLEET_TEST_POSTGRES — which must be set (./test.sh does): without it these fail.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlAuditStoreTests : AuditStoreContract, IAsyncLifetime
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
