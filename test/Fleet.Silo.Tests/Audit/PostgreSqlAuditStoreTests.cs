using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;
using Npgsql;

namespace Fleet.Silo.Tests.Audit;

/// <summary>
/// The audit and key tables on PostgreSQL (the cluster store), each test on a fresh database of the
/// server in FLEET_TEST_POSTGRES — which must be set (./test.sh does): without it these fail.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlAuditStoreTests : AuditStoreContract, IAsyncLifetime
{
    private PostgreSqlTestDatabase? _database;
    private NpgsqlDataSource? _dataSource;

    public Task InitializeAsync() => Task.CompletedTask;

    protected override async Task<FleetDatabase> DatabaseAsync()
    {
        _database = await PostgreSqlTestDatabase.CreateAsync();
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        await SchemaInstaller.ApplyPostgreSqlAsync(_dataSource);
        var database = new PostgreSqlFleetDatabase(_dataSource);
        database.MarkSchemaApplied();
        return database;
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
