using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;

namespace Fleet.Silo.Tests.Audit;

/// <summary>The audit and key tables on the embedded SQLite store.</summary>
public sealed class SqliteAuditStoreTests : AuditStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override Task<FleetDatabase> DatabaseAsync() => _database.FleetDatabaseAsync();

    public void Dispose() => _database.Dispose();
}
