using System.Net;
using System.Net.Sockets;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Index;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;
using Fleet.Twins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Fleet.Silo.Tests.Index;

/// <summary>
/// The index of a silo that keeps its twins in PostgreSQL (the cluster store): it follows
/// concurrent updates and is rebuilt from the stored twins after a wipe. Needs FLEET_TEST_POSTGRES
/// (./test.sh sets it); without it this fails.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlIndexTests
{
    [Fact]
    public async Task TheIndexFollowsTheTwinsAndIsRebuiltFromThemAfterAWipe()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        using var silo = await StartSiloAsync(database.ConnectionString);
        var grains = silo.Services.GetRequiredService<IGrainFactory>();

        // Concurrent reports of many devices.
        var busy = new TestFleet(grains);
        for (var i = 0; i < 24; i++)
        {
            await busy.ProvisionAsync(DeviceKinds.All[i % 4], Boroughs.All[i % Boroughs.All.Count]);
        }

        await Task.WhenAll(busy.Devices.SelectMany(device => Enumerable.Range(0, 5).Select(step => device.Kind switch
        {
            DeviceKind.Lamp => busy.ReportAsync(device.Kind, device.Id, null, ("on", true), ("level", 100), ("powerW", 1)),
            DeviceKind.Parking => busy.ReportAsync(device.Kind, device.Id, null, ("state", TwinSchema.ParkingStates[step % 4])),
            DeviceKind.Wifi => busy.ReportAsync(device.Kind, device.Id, null, ("up", step % 2 == 0), ("clients", step)),
            _ => busy.ReportAsync(device.Kind, device.Id, DateTimeOffset.UtcNow.AddMinutes(step - 10), ("register", step * 1.5)),
        })));
        await busy.UntilIndexedAsync(TimeSpan.FromSeconds(15));

        // Stored twins, then the index wiped and rebuilt from them.
        await busy.WriteTwinsAsync();
        await busy.UntilIndexedAsync();
        var stored = await TestFleet.CreateStoredAsync(grains);
        var figures = await TestFleet.FiguresAsync(grains);
        await database.ExecuteAsync("DELETE FROM fleet_devices; DELETE FROM fleet_device_faults; DELETE FROM fleet_meter_consumption; DELETE FROM fleet_consumption_minutes; DELETE FROM fleet_device_tombstones");
        Assert.Empty(await stored.IndexedAsync());

        var rebuilder = silo.Services.GetRequiredService<IndexRebuilder>();
        rebuilder.Start("test");
        await rebuilder.WaitAsync(CancellationToken.None);
        Assert.Equal(RebuildState.Completed, rebuilder.Status!.State);

        await stored.UntilIndexedAsync(TimeSpan.FromSeconds(5));
        await busy.UntilIndexedAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(figures, await TestFleet.FiguresAsync(grains));

        await silo.StopAsync();
    }

    private static async Task<IHost> StartSiloAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = "fleet-index-" + Guid.NewGuid().ToString("N")[..8];
                options.ServiceId = "fleet-test";
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
            silo.AddFleetPostgreSqlStorage(connectionString);
            silo.AddFleetGrains();
            silo.AddDeviceGateways();
        });
        builder.Services.AddFleetIndex();
        var host = builder.Build();
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
