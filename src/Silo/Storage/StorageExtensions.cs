using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Fleet.Silo.Storage;

/// <summary>
/// Wires Fleet's storage into a silo: the embedded SQLite store (grain state only) or PostgreSQL
/// (grain state, cluster membership and reminders). Each applies Fleet's own schema before any
/// provider starts.
/// </summary>
public static class StorageExtensions
{
    /// <summary>The grain storage that holds device twins.</summary>
    public const string TwinsStorageName = "twins";

    /// <summary>The grain storage that holds lighting schedules and their directory.</summary>
    public const string SchedulesStorageName = Fleet.Grains.Schedules.ScheduleGrain.StorageName;

    /// <summary>The grain storage Orleans streams keep their subscriptions in.</summary>
    public const string PubSubStorageName = "PubSubStore";

    /// <summary>ADO.NET invariant the Orleans providers map to Microsoft.Data.Sqlite.</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>ADO.NET invariant of Npgsql.</summary>
    public const string PostgreSqlInvariant = "Npgsql";

    /// <summary>Every named grain storage Fleet registers. Add a name here to get it on both stores.</summary>
    internal static readonly IReadOnlyList<string> GrainStorageNames = [TwinsStorageName, SchedulesStorageName, PubSubStorageName, Fleet.Grains.Jobs.JobStorage.Name];

    /// <summary>
    /// Grain-state batches in flight at once on PostgreSQL. A write waits for a free flusher, then
    /// for its batch's commit; with few writers (a quiet fleet, an operator's changes) enough
    /// flushers let each write start its own commit at once, and under load each flusher's batch
    /// grows instead. Each holds a pooled connection only while it commits. SQLite has one (it
    /// has one writer).
    /// </summary>
    private const int PostgreSqlStateFlushers = 8;

    /// <summary>DI key of the NpgsqlDataSource that every PostgreSQL provider of the silo shares.</summary>
    internal const string PostgreSqlDataSourceKey = "Fleet.Storage.PostgreSql";

    /// <summary>
    /// Keeps grain state in the SQLite file at <paramref name="databasePath"/> (created with its
    /// directory if missing), in WAL mode, with every write and clear on that file going through
    /// one async lane; reads run beside it.
    /// </summary>
    public static ISiloBuilder AddFleetSqliteStorage(this ISiloBuilder silo, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);

        // The schema participant creates the directory and the file before any provider opens it.
        var fullPath = Path.GetFullPath(databasePath);
        silo.Services.AddSingleton<FleetDatabase>(new SqliteFleetDatabase(fullPath));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SchemaLifecycleParticipant(
            "Fleet.Storage.Sqlite",
            sp.GetRequiredService<FleetDatabase>(),
            cancellationToken => SchemaInstaller.ApplySqliteAsync(fullPath, Logger(sp), cancellationToken)));

        foreach (var name in GrainStorageNames)
        {
            silo.AddSqliteGrainStorage(name, fullPath);
        }

        return silo;
    }

    /// <summary>
    /// Keeps grain state, cluster membership and reminders in PostgreSQL, through one shared
    /// NpgsqlDataSource. The schema is applied under an advisory lock, so silos may start together.
    /// </summary>
    public static ISiloBuilder AddFleetPostgreSqlStorage(this ISiloBuilder silo, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Created by the container, so the container disposes it when the silo host stops.
        silo.Services.TryAddKeyedSingleton(PostgreSqlDataSourceKey, (_, _) => NpgsqlDataSource.Create(connectionString));
        silo.Services.AddSingleton<FleetDatabase>(sp => new PostgreSqlFleetDatabase(PostgreSqlDataSource(sp)));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SchemaLifecycleParticipant(
            "Fleet.Storage.PostgreSql",
            sp.GetRequiredService<FleetDatabase>(),
            cancellationToken => SchemaInstaller.ApplyPostgreSqlAsync(PostgreSqlDataSource(sp), Logger(sp), cancellationToken)));

        foreach (var name in GrainStorageNames)
        {
            silo.AddPostgreSqlGrainStorage(name);
        }

        silo.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringSiloOptions> options) => options.Configure<IServiceProvider>((o, sp) =>
        {
            o.Invariant = PostgreSqlInvariant;
            o.DataSource = PostgreSqlDataSource(sp);
        }));
        silo.UseAdoNetReminderService((OptionsBuilder<AdoNetReminderTableOptions> options) => options.Configure<IServiceProvider>((o, sp) =>
        {
            o.Invariant = PostgreSqlInvariant;
            o.DataSource = PostgreSqlDataSource(sp);
        }));
        return silo;
    }

    /// <summary>Registers one more named grain storage on the SQLite file of <see cref="AddFleetSqliteStorage"/>.</summary>
    internal static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, string name, string fullPath)
    {
        var connectionString = SchemaInstaller.SqliteConnectionString(fullPath);
        return silo.AddFleetGrainStorage(
            name,
            (options, _) =>
            {
                options.Invariant = SqliteInvariant;
                options.ConnectionString = connectionString;
            },
            WriteLane.For(fullPath));
    }

    /// <summary>Registers one more named grain storage on the PostgreSQL data source of <see cref="AddFleetPostgreSqlStorage"/>.</summary>
    internal static ISiloBuilder AddPostgreSqlGrainStorage(this ISiloBuilder silo, string name) =>
        silo.AddFleetGrainStorage(
            name,
            (options, sp) =>
            {
                options.Invariant = PostgreSqlInvariant;
                options.DataSource = PostgreSqlDataSource(sp);
            },
            writeLane: null);

    private static ISiloBuilder AddFleetGrainStorage(
        this ISiloBuilder silo,
        string name,
        Action<AdoNetGrainStorageOptions, IServiceProvider> configure,
        WriteLane? writeLane)
    {
        // The Orleans registration brings the options validator and defaults; the keyed
        // IGrainStorage registered after it replaces the provider with Fleet's decorator, which
        // the Orleans lifecycle registration (it resolves the keyed service) then starts.
        silo.AddAdoNetGrainStorage(name, (OptionsBuilder<AdoNetGrainStorageOptions> options) => options.Configure<IServiceProvider>((o, sp) =>
        {
            configure(o, sp);
            o.GrainStorageSerializer = StateSerializer(sp);
        }));
        silo.Services.TryAddSingleton(sp => new StateWriteBatcher(
            sp.GetRequiredService<FleetDatabase>(),
            writeLane is null ? PostgreSqlStateFlushers : 1,
            sp.GetRequiredService<ILogger<StateWriteBatcher>>()));
        silo.Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new FleetGrainStorage(
            AdoNetGrainStorageFactory.Create(sp, name),
            sp.GetRequiredService<StateWriteBatcher>(),
            StateSerializer(sp),
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            writeLane));
        return silo;
    }

    /// <summary>
    /// Orleans' own binary format: compact, fast, and version tolerant through the [Id] members the
    /// state classes already carry for the wire. Reads (the provider) and writes (the batcher) share it.
    /// </summary>
    private static OrleansGrainStorageSerializer StateSerializer(IServiceProvider services) =>
        new(services.GetRequiredService<Serializer>());

    private static NpgsqlDataSource PostgreSqlDataSource(IServiceProvider services) =>
        services.GetRequiredKeyedService<NpgsqlDataSource>(PostgreSqlDataSourceKey);

    private static ILogger Logger(IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaInstaller).FullName!);

    /// <summary>
    /// Starts the schema before the membership table (8000) and grain storage (10000) do, and tells
    /// the <see cref="FleetDatabase"/> when its tables are there.
    /// </summary>
    private sealed class SchemaLifecycleParticipant(string observerName, FleetDatabase database, Func<CancellationToken, Task> apply)
        : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(observerName, ServiceLifecycleStage.RuntimeInitialize, ApplyAsync);

        private async Task ApplyAsync(CancellationToken cancellationToken)
        {
            try
            {
                await apply(cancellationToken);
                database.MarkSchemaApplied();
            }
            catch (Exception exception)
            {
                database.MarkSchemaFailed(exception);
                throw;
            }
        }
    }
}
