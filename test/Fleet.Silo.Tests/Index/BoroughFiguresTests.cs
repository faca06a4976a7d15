using System.Net;
using System.Text.Json;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Queries;
using Fleet.Silo.Tests.Hosting;
using Fleet.Twins;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Index;

/// <summary>
/// GET /api/boroughs agrees with a brute-force count over the twins fetched through their grains.
/// A host of its own, so the figures cover exactly the devices this test made.
/// </summary>
public sealed class BoroughFiguresTests
{
    [Fact]
    public async Task TheFiguresOfEveryBoroughEqualABruteForceCountOverTheTwins()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var grains = host.Service<IGrainFactory>();
        var fleet = new TestFleet(grains);
        var now = DateTimeOffset.UtcNow;
        string[] boroughs = [Boroughs.Hamborn, Boroughs.Mitte, Boroughs.Sued];
        var work = new List<Task>();
        for (var i = 0; i < 40; i++)
        {
            var kind = DeviceKinds.All[i % 4];
            var borough = boroughs[i % 3];
            var id = await fleet.ProvisionAsync(kind, borough, medium: MeterMedia.All[i % MeterMedia.All.Count]);
            work.Add(DriveAsync(fleet, kind, id, i, now));
        }

        await Task.WhenAll(work);
        await fleet.UntilIndexedAsync();

        var twins = await fleet.TwinsAsync();
        var histories = await Task.WhenAll(twins.Values.Select(twin => grains.GetTwin(twin!.Kind, twin.Id).GetHistory().AsTask()));
        var devices = twins.Values.Zip(histories, (twin, history) => (twin!, history)).ToList();

        using var response = await host.Http.GetAsync("/api/boroughs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var figures = JsonSerializer.Deserialize<FleetBoroughs>(await response.Content.ReadAsStringAsync(), FleetJson.Options)!;

        Assert.Equal(Boroughs.All, figures.Boroughs.Select(borough => borough.Name));
        foreach (var borough in figures.Boroughs)
        {
            Assert.Equal(TestFleet.Describe(TestFleet.BruteForce(borough.Name, figures.At, devices)), TestFleet.Describe(borough));
        }

        var mitte = figures.Boroughs.Single(borough => borough.Name == Boroughs.Mitte);
        Assert.True(mitte.Devices > 0 && mitte.Parking.Total > 0 && mitte.Meter.Consumption.Values.Sum(medium => medium.LastDay) > 0);

        using var one = await host.Http.GetAsync("/api/boroughs/sued");
        var sued = JsonSerializer.Deserialize<BoroughSummary>(await one.Content.ReadAsStringAsync(), FleetJson.Options)!;
        Assert.Equal(TestFleet.Describe(TestFleet.BruteForce(Boroughs.Sued, sued.At, devices)), TestFleet.Describe(sued));

        using var slash = await host.Http.GetAsync("/api/boroughs/Meiderich%2FBeeck");
        Assert.Equal(HttpStatusCode.OK, slash.StatusCode);
        using var unknown = await host.Http.GetAsync("/api/boroughs/Atlantis");
        await AssertProblemAsync(unknown, 404, "not a borough");
    }

    /// <summary>Reports that spread over the parking states, lit and dark lamps, failing ones, and meter steps inside and outside the hour.</summary>
    private static async Task DriveAsync(TestFleet fleet, DeviceKind kind, string id, int i, DateTimeOffset now)
    {
        if (i % 5 != 0)
        {
            await fleet.ConnectAsync(kind, id);
        }

        switch (kind)
        {
            case DeviceKind.Lamp when i % 3 == 0:
                break; // never reported
            case DeviceKind.Lamp:
                var on = i % 2 == 0;
                var power = i % 7 == 0 ? 3 : 40;
                await fleet.ReportAsync(kind, id, null, ("on", on), ("level", 20 + (i % 4 * 20)), ("powerW", on ? power : 0));
                await fleet.ReportAsync(kind, id, null, ("powerW", on ? power : 0));
                break;
            case DeviceKind.Parking:
                if (i % 6 != 1)
                {
                    await fleet.ReportAsync(kind, id, null, ("state", TwinSchema.ParkingStates[i % 4]), ("batteryPct", i % 3 == 0 ? 10 : 80));
                }

                break;
            case DeviceKind.Wifi:
                await fleet.ReportAsync(kind, id, null, ("up", i % 3 != 0), ("clients", i), ("backhaulUp", i % 2 == 0));
                break;
            default:
                await fleet.ReportAsync(kind, id, now.AddHours(-5), ("register", 1000));
                await fleet.ReportAsync(kind, id, now.AddHours(-2), ("register", 1000 + i));
                await fleet.ReportAsync(kind, id, now.AddMinutes(-30), ("register", 1000 + i + 0.5));
                await fleet.ReportAsync(kind, id, now.AddMinutes(-10), ("register", 1000 + i + 2), ("leak", i % 2 == 0));
                break;
        }
    }
}
