using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fleet.Silo.Storage;

/// <summary>
/// Applies Fleet's storage schema, embedded from Storage/Sql. Silos call it at start (see
/// <see cref="StorageExtensions"/>); tools and tests may call it on their own.
/// </summary>
public static class SchemaInstaller
{
    /// <summary>The version the last of <see cref="SqliteScripts"/> writes to PRAGMA user_version.</summary>
    public const int SqliteSchemaVersion = 5;

    /// <summary>
    /// SQLite scripts in order. Each is idempotent and runs on every start, in its own transaction;
    /// a change is a new script here (or, for a query row of sqlite.sql, an edit of that row).
    /// </summary>
    private static readonly string[] SqliteScripts =
    [
        "sqlite.sql",
        "sqlite-0003-index.sql",
        "sqlite-0004-alarms.sql",
        "sqlite-0005-query-shapes.sql",
    ];

    /// <summary>
    /// PostgreSQL migrations in order. Each runs once per database and is recorded in
    /// fleet_schema_version. A released script is never edited: a change is a new line here.
    /// </summary>
    private static readonly (int Version, string Script, string Description)[] PostgreSqlMigrations =
    [
        (1, "postgresql.sql", "grain state, membership, reminders"),
        (2, "postgresql-0002-keys-audit.sql", "API keys, audit log"),
        (3, "postgresql-0003-index.sql", "fleet index"),
        (4, "postgresql-0004-alarms.sql", "alarms"),
        (5, "postgresql-0005-query-shapes.sql", "fleet query indexes: online order, trigram search"),
    ];

    /// <summary>pg_advisory_xact_lock key shared by every Fleet silo: "FleetSQL" in ASCII.</summary>
    private const long PostgreSqlSchemaLockKey = 0x466C_6565_7453_514C;

    /// <summary>Generous: a silo that starts while another migrates waits for it rather than failing.</summary>
    private const int PostgreSqlCommandTimeoutSeconds = 300;

    /// <summary>The schema version <see cref="ApplyPostgreSqlAsync"/> brings a database to.</summary>
    public static int PostgreSqlSchemaVersion => PostgreSqlMigrations[^1].Version;

    /// <summary>
    /// Creates or refreshes the grain-state schema in the SQLite file at <paramref name="databasePath"/>
    /// (creating the file and its directory if needed) and switches it to WAL. Safe on every start,
    /// and safe when several processes start at once: the script takes the write lock first.
    /// </summary>
    public static async Task ApplySqliteAsync(string databasePath, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        logger ??= NullLogger.Instance;
        var started = Stopwatch.GetTimestamp();

        var fullPath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);

        // Not pooled: should the script fail inside its transaction, closing the connection rolls
        // it back instead of handing an open transaction to the next user of the pool.
        var connectionString = new SqliteConnectionStringBuilder(SqliteConnectionString(fullPath)) { Pooling = false }.ToString();
        var connection = new SqliteConnection(connectionString);
        await using (connection)
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var script in SqliteScripts)
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.CommandText = ReadScript(script);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        StorageLog.SchemaApplied(logger, "SQLite", SqliteSchemaVersion, fullPath, elapsed);
    }

    /// <summary>
    /// Brings the PostgreSQL database of <paramref name="dataSource"/> to <see cref="PostgreSqlSchemaVersion"/>.
    /// Runs in one transaction under an advisory lock, so silos starting together apply each
    /// migration exactly once and the others wait; a database already current costs three queries.
    /// </summary>
    /// <returns>The schema version of the database afterwards.</returns>
    public static async Task<int> ApplyPostgreSqlAsync(NpgsqlDataSource dataSource, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        logger ??= NullLogger.Instance;
        var started = Stopwatch.GetTimestamp();
        var database = DescribePostgreSql(dataSource);

        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (connection)
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (transaction)
            {
                await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgreSqlSchemaLockKey.ToString(CultureInfo.InvariantCulture)})", cancellationToken);

                var current = await CurrentPostgreSqlVersionAsync(connection, transaction, cancellationToken);
                var applied = current;
                foreach (var (version, script, description) in PostgreSqlMigrations)
                {
                    if (version <= current)
                    {
                        continue;
                    }

                    await ExecuteAsync(connection, transaction, ReadScript(script), cancellationToken);
                    var record = new NpgsqlCommand(
                        "INSERT INTO fleet_schema_version (version, description) VALUES (@version, @description) ON CONFLICT (version) DO NOTHING",
                        connection,
                        transaction);
                    await using (record)
                    {
                        record.Parameters.AddWithValue("version", version);
                        record.Parameters.AddWithValue("description", description);
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }

                    applied = version;
                }

                await transaction.CommitAsync(cancellationToken);

                if (applied == current)
                {
                    StorageLog.SchemaCurrent(logger, "PostgreSQL", current, database);
                }
                else
                {
                    var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    StorageLog.SchemaApplied(logger, "PostgreSQL", applied, database, elapsed);
                }

                return applied;
            }
        }
    }

    /// <summary>The text of an embedded script in Storage/Sql, e.g. "sqlite.sql".</summary>
    public static string ReadScript(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var resource = $"{typeof(SchemaInstaller).Namespace}.Sql.{fileName}";
        using var stream = typeof(SchemaInstaller).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The storage script '{fileName}' is not embedded in {typeof(SchemaInstaller).Assembly.GetName().Name} (looked for resource '{resource}').");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The connection string every Fleet use of a SQLite file shares (so they share a pool).</summary>
    internal static string SqliteConnectionString(string fullPath) =>
        new SqliteConnectionStringBuilder { DataSource = fullPath, Mode = SqliteOpenMode.ReadWriteCreate }.ToString();

    private static async Task<int> CurrentPostgreSqlVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var exists = await ScalarAsync(connection, transaction, "SELECT to_regclass('fleet_schema_version') IS NOT NULL", cancellationToken);
        if (exists is not true)
        {
            return 0;
        }

        var version = await ScalarAsync(connection, transaction, "SELECT COALESCE(max(version), 0) FROM fleet_schema_version", cancellationToken);
        return Convert.ToInt32(version, CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = PostgreSqlCommandTimeoutSeconds };
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = PostgreSqlCommandTimeoutSeconds };
        await using (command)
        {
            return await command.ExecuteScalarAsync(cancellationToken);
        }
    }

    /// <summary>Host/port/database for the log; never the password.</summary>
    private static string DescribePostgreSql(NpgsqlDataSource dataSource)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"{builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{builder.Database}";
    }
}
