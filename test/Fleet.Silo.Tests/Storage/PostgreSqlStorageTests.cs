using System.Data;
using System.Net.Sockets;
using System.Net;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Orleans.Storage;

namespace Fleet.Silo.Tests.Storage;

[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection
{
    /// <summary>The tests that share the PostgreSQL server of FLEET_TEST_POSTGRES; each makes its own database.</summary>
    public const string Name = "postgresql";
}

/// <summary>
/// Fleet's PostgreSQL schema against a real server: the schema itself, and real silos that keep
/// grain state, membership and reminders in it and find each other (and a client finds them) there.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlStorageTests
{
    private const int Active = 3;
    private const int Dead = 6;

    private static readonly string[] QueryKeys =
    [
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "ClearStorageKey", "DeleteMembershipTableEntriesKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey", "DeleteStorageKey", "GatewaysQueryKey", "InsertMembershipKey",
        "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "ReadFromStorageKey", "ReadRangeRows1Key",
        "ReadRangeRows2Key", "ReadReminderRowKey", "ReadReminderRowsKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
        "UpsertReminderRowKey", "WriteToStorageKey",
    ];

    [Fact]
    public async Task SchemaAppliesOnceUnderTheLockEvenWhenSilosStartTogether()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);

        var versions = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SchemaInstaller.ApplyPostgreSqlAsync(dataSource)));
        Assert.All(versions, version => Assert.Equal(SchemaInstaller.PostgreSqlSchemaVersion, version));
        Assert.Equal(SchemaInstaller.PostgreSqlSchemaVersion, await SchemaInstaller.ApplyPostgreSqlAsync(dataSource));
        Assert.Equal(SchemaInstaller.PostgreSqlSchemaVersion, await database.ScalarAsync<int>("SELECT count(*) FROM fleet_schema_version"));

        // The script on its own is idempotent too, for whoever runs it by hand.
        await database.ExecuteAsync(SchemaInstaller.ReadScript("postgresql.sql"));
        await database.ExecuteAsync(SchemaInstaller.ReadScript("postgresql.sql"));

        Assert.Equal(
            string.Join(",", QueryKeys),
            await database.ScalarAsync<string>("SELECT string_agg(QueryKey, ',' ORDER BY QueryKey COLLATE \"C\") FROM OrleansQuery"));
    }

    [Fact]
    public async Task BulkDefunctCleanupRemovesOnlyLongDeadSilos()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await SchemaInstaller.ApplyPostgreSqlAsync(dataSource);

        await database.ExecuteAsync("""
            INSERT INTO fleet_membership (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
            VALUES ('c', '127.0.0.1', 1, 1, 'old-dead', 'h', 6, 0, now() - interval '2 hours', now() - interval '2 hours'),
                   ('c', '127.0.0.1', 2, 1, 'new-dead', 'h', 6, 0, now(), now()),
                   ('c', '127.0.0.1', 3, 1, 'old-active', 'h', 3, 0, now() - interval '2 hours', now() - interval '2 hours')
            """);

        // As the provider runs it: named parameters, DateTime sent as DbType.DateTime.
        var connection = await dataSource.OpenConnectionAsync();
        await using (connection)
        {
            var query = await database.ScalarAsync<string>("SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'CleanupDefunctSiloEntriesKey'");
            var command = new NpgsqlCommand(query, connection);
            await using (command)
            {
                command.Parameters.Add(new NpgsqlParameter("DeploymentId", DbType.String) { Value = "c" });
                command.Parameters.Add(new NpgsqlParameter("IAmAliveTime", DbType.DateTime) { Value = DateTime.UtcNow.AddHours(-1) });
                Assert.Equal(1, await command.ExecuteNonQueryAsync());
            }
        }

        Assert.Equal("new-dead,old-active", await database.ScalarAsync<string>("SELECT string_agg(silo_name, ',' ORDER BY silo_name) FROM fleet_membership"));
    }

    [Fact]
    public async Task EveryWriteMovesTheVersionAndStaleEtagsAreRefused()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        using var silo = await StartSiloAsync(database.ConnectionString, "fleet-contract", "fleet-test", silo => silo.Services.Configure<AdoNetGrainStorageOptions>(
            StorageExtensions.PubSubStorageName, options => options.DeleteStateOnClear = true));

        await GrainStorageContract.VersionsEveryWriteAndRefusesStaleOnesAsync(silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageExtensions.TwinsStorageName));
        await GrainStorageContract.KeepsGrainTypesApartAsync(silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageExtensions.TwinsStorageName));
        await GrainStorageContract.DeletesOnClearAsync(
            silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageExtensions.PubSubStorageName),
            () => database.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state"));

        await silo.StopAsync();
    }

    [Fact]
    public async Task TwoSilosShareGrainStateMembershipAndReminders()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        var clusterId = "fleet-" + Guid.NewGuid().ToString("N")[..8];
        var serviceId = "fleet-test";
        (string, object) cluster = ("cluster", clusterId);

        using var siloA = await StartSiloAsync(database.ConnectionString, clusterId, serviceId);
        using var siloB = await StartSiloAsync(database.ConnectionString, clusterId, serviceId);
        Assert.Equal(2, await database.ScalarAsync<int>($"SELECT count(*) FROM fleet_membership WHERE deployment_id = @cluster AND status = {Active}", cluster));

        using var client = await StartClientAsync(database.ConnectionString, clusterId, serviceId);
        var grains = client.Services.GetRequiredService<IClusterClient>();
        var probes = Enumerable.Range(0, 20).Select(i => grains.GetGrain<IStorageProbeGrain>($"lamp-{i}")).ToArray();

        // Grain state, written from activations spread over both silos.
        await Task.WhenAll(probes.Select(probe => probe.SetAsync("written")));
        Assert.Equal(probes.Length, await database.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state WHERE grain_type = 'probe@storageprobe' AND version = 1"));

        // Reminders: registered, read back, removed.
        await probes[0].StartReminderAsync();
        Assert.True(await probes[0].HasReminderAsync());
        Assert.Equal(1, await database.ScalarAsync<int>("SELECT count(*) FROM fleet_reminders"));
        await probes[0].StopReminderAsync();
        Assert.False(await probes[0].HasReminderAsync());
        Assert.Equal(0, await database.ScalarAsync<int>("SELECT count(*) FROM fleet_reminders"));

        // A silo leaves: its row turns Dead, and its grains come back on the other silo from storage.
        await siloB.StopAsync();
        await Poll.UntilAsync(
            async () => await database.ScalarAsync<int>($"SELECT count(*) FROM fleet_membership WHERE deployment_id = @cluster AND status = {Dead}", cluster) == 1,
            "the stopped silo to be marked dead");

        await Task.WhenAll(probes.Select(probe => probe.DeactivateAsync()));
        var snapshots = await Task.WhenAll(probes.Select(probe => probe.GetAsync()));
        Assert.All(snapshots, snapshot => Assert.Equal(new ProbeSnapshot("written", 1, true), snapshot));

        // Dead-silo cleanup through the provider (CleanupDefunctSiloEntryKey) removes only the dead row.
        var membership = siloA.Services.GetRequiredService<IMembershipTable>();
        await membership.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal($"{Active}", await database.ScalarAsync<string>("SELECT string_agg(status::text, ',') FROM fleet_membership WHERE deployment_id = @cluster", cluster));

        await client.StopAsync();
        await siloA.StopAsync();
    }

    private static async Task<IHost> StartSiloAsync(string connectionString, string clusterId, string serviceId, Action<ISiloBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = clusterId;
                options.ServiceId = serviceId;
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
            silo.AddFleetPostgreSqlStorage(connectionString);
            configure?.Invoke(silo);
        });
        return await StartAsync(builder.Build());
    }

    private static async Task<IHost> StartClientAsync(string connectionString, string clusterId, string serviceId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = clusterId;
                options.ServiceId = serviceId;
            });

            // The client finds the gateways through GatewaysQueryKey.
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = StorageExtensions.PostgreSqlInvariant;
                options.ConnectionString = connectionString;
            });
        });
        return await StartAsync(builder.Build());
    }

    private static async Task<IHost> StartAsync(IHost host)
    {
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
