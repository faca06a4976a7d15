using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Fleet.Silo.Storage;

/// <summary>
/// The database the silo keeps grain state in, for Fleet's own tables beside it (API keys, audit).
/// <see cref="StorageExtensions"/> registers one per silo — SQLite or PostgreSQL — so code that uses
/// these tables writes its SQL once: both engines take the same statements, and the few differences
/// (time columns, the write lane) are answered here.
/// </summary>
public abstract class FleetDatabase
{
    private readonly TaskCompletionSource _schemaApplied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private protected FleetDatabase()
    {
    }

    /// <summary>"SQLite" or "PostgreSQL", for logs and messages.</summary>
    public abstract string Engine { get; }

    /// <summary>Completes once the silo has applied Fleet's schema; the tables exist from then on.</summary>
    public Task SchemaApplied => _schemaApplied.Task;

    /// <summary>An open connection for reads, once the schema is there.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await SchemaApplied.WaitAsync(cancellationToken);
        return await OpenConnectionAsync(cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="write"/> in a transaction and commits it. On SQLite the whole thing waits
    /// its turn in the file's <see cref="WriteLane"/>, which grain storage shares; keep it short.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken cancellationToken) =>
        WriteAsync(write, WritePriority.Normal, cancellationToken);

    /// <summary>
    /// <see cref="WriteAsync{T}(Func{DbConnection, DbTransaction, Task{T}}, CancellationToken)"/> with a place in the
    /// write lane: <see cref="WritePriority.First"/> goes ahead of waiting grain-state writes (the fleet index's batches).
    /// </summary>
    internal async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, WritePriority priority, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await SchemaApplied.WaitAsync(cancellationToken);
        var result = default(T)!;
        await InWriteLaneAsync(
            async () =>
            {
                var connection = await OpenConnectionAsync(cancellationToken);
                await using (connection)
                {
                    var transaction = await BeginWriteAsync(connection, cancellationToken);
                    await using (transaction)
                    {
                        result = await write(connection, transaction);
                        await transaction.CommitAsync(cancellationToken);
                    }
                }
            },
            priority,
            cancellationToken);
        return result;
    }

    /// <summary>The parameter value of a point in time for this engine's time columns.</summary>
    public abstract object TimeValue(DateTimeOffset value);

    /// <summary>Reads a time column written from <see cref="TimeValue"/>.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>Adds a parameter (null becomes DBNull) to <paramref name="command"/>.</summary>
    public static void AddParameter(DbCommand command, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Times are kept to the microsecond, the precision both engines store exactly.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    internal void MarkSchemaApplied() => _schemaApplied.TrySetResult();

    internal void MarkSchemaFailed(Exception exception) => _schemaApplied.TrySetException(exception);

    private protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    private protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    private protected abstract Task InWriteLaneAsync(Func<Task> write, WritePriority priority, CancellationToken cancellationToken);
}

/// <summary>The embedded store: one SQLite file, times as Unix microseconds, writes through its lane.</summary>
internal sealed class SqliteFleetDatabase(string fullPath) : FleetDatabase
{
    private readonly string _connectionString = SchemaInstaller.SqliteConnectionString(fullPath);
    private readonly WriteLane _lane = WriteLane.For(fullPath);

    public override string Engine => "SQLite";

    public string FullPath { get; } = fullPath;

    public override object TimeValue(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + (reader.GetInt64(ordinal) * 10), TimeSpan.Zero);

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    // IMMEDIATE takes the write lock at BEGIN; inside the lane nobody in this process holds it.
    private protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    private protected override Task InWriteLaneAsync(Func<Task> write, WritePriority priority, CancellationToken cancellationToken) =>
        _lane.RunAsync(write, priority, cancellationToken);
}

/// <summary>The cluster store: PostgreSQL through the silo's shared data source, times as timestamptz.</summary>
internal sealed class PostgreSqlFleetDatabase(NpgsqlDataSource dataSource) : FleetDatabase
{
    public override string Engine => "PostgreSQL";

    public override object TimeValue(DateTimeOffset value) => value.UtcDateTime;

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    private protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    private protected override Task InWriteLaneAsync(Func<Task> write, WritePriority priority, CancellationToken cancellationToken) => write();
}
