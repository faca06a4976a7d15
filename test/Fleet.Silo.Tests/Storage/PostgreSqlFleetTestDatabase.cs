using Fleet.Silo.Storage;
using Npgsql;

namespace Fleet.Silo.Tests.Storage;

/// <summary>
/// A fresh PostgreSQL database with Fleet's schema applied, as the <see cref="FleetDatabase"/> the
/// store tests (audit, index, alarms) run their contracts against.
/// </summary>
internal sealed class PostgreSqlFleetTestDatabase : IAsyncDisposable
{
    private readonly PostgreSqlTestDatabase _server;
    private readonly NpgsqlDataSource _dataSource;

    private PostgreSqlFleetTestDatabase(PostgreSqlTestDatabase server, NpgsqlDataSource dataSource, FleetDatabase database)
    {
        _server = server;
        _dataSource = dataSource;
        Database = database;
    }

    public FleetDatabase Database { get; }

    public static async Task<PostgreSqlFleetTestDatabase> CreateAsync()
    {
        var server = await PostgreSqlTestDatabase.CreateAsync();
        var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await SchemaInstaller.ApplyPostgreSqlAsync(dataSource);
        var database = new PostgreSqlFleetDatabase(dataSource);
        database.MarkSchemaApplied();
        return new PostgreSqlFleetTestDatabase(server, dataSource, database);
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _server.DisposeAsync();
    }
}
