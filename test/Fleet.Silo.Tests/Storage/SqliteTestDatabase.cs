using System.Globalization;
using Fleet.Silo.Storage;
using Microsoft.Data.Sqlite;
using Orleans.TestingHost;

namespace Fleet.Silo.Tests.Storage;

/// <summary>A SQLite file in its own temp directory, and silos that keep their grain state in it.</summary>
public sealed class SqliteTestDatabase : IDisposable
{
    private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fleet-storage-" + Guid.NewGuid().ToString("N"));

    /// <summary>The Orleans ServiceId every cluster on this file uses: stored rows are scoped by it.</summary>
    public string ServiceId { get; } = "fleet-test-" + Guid.NewGuid().ToString("N");

    /// <summary>In a directory that does not exist yet, so the silo has to create it.</summary>
    public string Path => System.IO.Path.Combine(_directory, "data", "fleet.db");

    public async Task<InProcessTestCluster> StartClusterAsync(Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = ServiceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddFleetSqliteStorage(Path);
            silo.AddMemoryStreams(StorageProbeGrain.StreamProvider);
            configure?.Invoke(silo);
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(StorageProbeGrain.StreamProvider));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Fleet's schema applied to the file, as the <see cref="FleetDatabase"/> the store tests run against.</summary>
    public async Task<FleetDatabase> FleetDatabaseAsync()
    {
        await SchemaInstaller.ApplySqliteAsync(Path);
        var database = new SqliteFleetDatabase(Path);
        database.MarkSchemaApplied();
        return database;
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        var connection = await OpenAsync();
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = sql;
                var value = await command.ExecuteScalarAsync();
                return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
            }
        }
    }

    public async Task<int> ExecuteAsync(string sql)
    {
        var connection = await OpenAsync();
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = sql;
                return await command.ExecuteNonQueryAsync();
            }
        }
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
