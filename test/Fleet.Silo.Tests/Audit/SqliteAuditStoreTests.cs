using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;

namespace Fleet.Silo.Tests.Audit;

/// <summary>The audit and key tables on the embedded SQLite store.</summary>
public sealed class SqliteAuditStoreTests : AuditStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override async Task<FleetDatabase> DatabaseAsync()
    {
        await SchemaInstaller.ApplySqliteAsync(_database.Path);
        var database = new SqliteFleetDatabase(_database.Path);
        database.MarkSchemaApplied();
        return database;
    }

    public void Dispose() => _database.Dispose();
}
