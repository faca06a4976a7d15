using System.Net;
using Fleet.Silo.Tests.Hosting;
using Microsoft.Data.Sqlite;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Index;

/// <summary>
/// The index rebuilt from the stored twins (SQLite): on demand after it was wiped, and at start when
/// it is empty or of another format. Each test has a host of its own, since it wipes the index.
/// </summary>
public sealed class IndexRebuildTests
{

    [Fact]
    public async Task AfterAWipeARebuildRestoresTheIndexFromTheStoredTwins()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var grains = host.Service<IGrainFactory>();
        var fleet = await TestFleet.CreateStoredAsync(grains);
        var before = await TestFleet.FiguresAsync(grains);

        await WipeAsync(host, formatMarker: null);
        Assert.Empty(await fleet.IndexedAsync());

        using var accepted = await host.Http.PostAsync("/api/devices/index/rebuild", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await UntilRebuiltAsync(host);

        await fleet.UntilIndexedAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(before, await TestFleet.FiguresAsync(grains));
        var status = await ReadJsonAsync(await host.Http.GetAsync("/api/devices/index"));
        Assert.Equal(fleet.Devices.Count, status["rebuild"]!["twins"]!.GetValue<int>());
    }

    [Fact]
    public async Task AStartRebuildsAnIndexOfAnotherFormatAndKeepsAGoodOne()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var fleet = await TestFleet.CreateStoredAsync(host.Service<IGrainFactory>());
        await host.RestartAsync();
        fleet.Grains = host.Service<IGrainFactory>();

        // The index outlived the restart: nothing to rebuild.
        await fleet.UntilIndexedAsync(TimeSpan.FromSeconds(5));
        var status = await ReadJsonAsync(await host.Http.GetAsync("/api/devices/index"));
        Assert.Null(status["rebuild"]);

        await host.StopAsync();
        await WipeAsync(host, formatMarker: "0");
        await host.StartAsync();
        fleet.Grains = host.Service<IGrainFactory>();

        await UntilRebuiltAsync(host);
        status = await ReadJsonAsync(await host.Http.GetAsync("/api/devices/index"));
        Assert.Contains("format 0", status["rebuild"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await fleet.UntilIndexedAsync(TimeSpan.FromSeconds(5));
    }

    private static async Task UntilRebuiltAsync(FleetHost host) =>
        await Poll.UntilAsync(
            async () => (await ReadJsonAsync(await host.Http.GetAsync("/api/devices/index")))["rebuild"]?["state"]?.GetValue<string>() == "completed",
            "the rebuild to complete",
            TimeSpan.FromSeconds(20));

    /// <summary>Empties the index tables, as a lost or new database would have them; optionally leaves a format marker.</summary>
    private static async Task WipeAsync(FleetHost host, string? formatMarker)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(host.DataDirectory, "fleet.db"), Pooling = false }.ToString());
        await using (connection)
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText =
                    "DELETE FROM fleet_devices; DELETE FROM fleet_device_faults; DELETE FROM fleet_device_tombstones; " +
                    "DELETE FROM fleet_meter_consumption; DELETE FROM fleet_consumption_minutes; DELETE FROM fleet_index_state;" +
                    (formatMarker is null ? string.Empty : " INSERT INTO fleet_index_state (name, value) VALUES ('format', $format);");
                command.Parameters.AddWithValue("$format", formatMarker ?? string.Empty);
                command.CommandTimeout = 30;
                await command.ExecuteNonQueryAsync();
            }
        }
    }
}
