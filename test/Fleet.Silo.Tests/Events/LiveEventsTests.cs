using System.Net;
using Fleet.Devices;
using Fleet.Events;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Alarms;
using Fleet.Silo.Tests.Hosting;
using Orleans.Streams;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Events;

/// <summary>GET /api/events through a real HttpClient: filters, resume with Last-Event-ID, and the Orleans streams behind it.</summary>
[Collection(HostCollection.Name)]
public sealed class LiveEventsTests(HostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    private FleetDevices Devices { get; } = new(fixture.Host);

    [Fact]
    public async Task AFaultArrivesAsTwinChangedAndAlarmOpenedOnlyAtClientsWhoseFiltersMatch()
    {
        var meter = await Devices.ProvisionAsync(DeviceKind.Meter, "Hamborn");
        var other = await Devices.ProvisionAsync(DeviceKind.Meter, "Hamborn");
        var reader = await Host.ClientWithRoleAsync(FleetRoles.Integration);

        await using var alarmsOfMeter = await SseClient.OpenAsync(reader, $"/api/events?kind=meter&borough=Hamborn&device={meter}&types=alarmOpened,alarmCleared");
        await using var everythingOfMeter = await SseClient.OpenAsync(reader, $"/api/events?device={meter}");
        await using var lamps = await SseClient.OpenAsync(reader, $"/api/events?kind=lamp&device={meter},{other}");

        await Devices.ReportAsync(DeviceKind.Meter, other, ("leak", true));
        await Devices.ReportAsync(DeviceKind.Meter, meter, ("leak", true));

        var opened = await alarmsOfMeter.NextAsync();
        Assert.Equal("alarmOpened", opened.Event);
        Assert.NotNull(opened.Id);
        var data = opened.Json;
        Assert.Equal(FleetEventTypes.AlarmOpened, data["type"]!.GetValue<string>());
        Assert.Equal(meter, data["deviceId"]!.GetValue<string>());
        Assert.Equal("leak", data["alarm"]!["type"]!.GetValue<string>());
        Assert.Equal("critical", data["alarm"]!["severity"]!.GetValue<string>());

        var changed = await everythingOfMeter.WaitForAsync(
            r => r.Event == "twinChanged" && r.Json["changed"]!.AsArray().Any(c => c!.GetValue<string>() == "faults"),
            "the meter's twinChanged with its fault");
        Assert.Equal(meter, changed.Json["twin"]!["id"]!.GetValue<string>());
        Assert.Equal("leak", changed.Json["twin"]!["faults"]![0]!["code"]!.GetValue<string>());
        await everythingOfMeter.WaitForAsync(r => r.Event == "alarmOpened", "the meter's alarmOpened on the unfiltered stream");

        await Devices.ReportAsync(DeviceKind.Meter, meter, ("leak", false));
        var cleared = await alarmsOfMeter.NextAsync();
        Assert.Equal("alarmCleared", cleared.Event);
        Assert.Equal(meter, cleared.Json["deviceId"]!.GetValue<string>());

        // Nothing for the other meter reached the filtered stream, and nothing reached the lamp stream.
        Assert.Null(await alarmsOfMeter.NextOrNullAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Null(await lamps.NextOrNullAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task AClientResumesAfterItsLastEventIdAndAnUnknownIdStartsWithAReset()
    {
        var lamp = await Devices.ProvisionAsync(DeviceKind.Lamp);
        string firstId;
        await using (var stream = await SseClient.OpenAsync(Host.Http, $"/api/events?device={lamp}&types=twinChanged"))
        {
            await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("level", 10));

            // The provisioning may arrive first: it raced the subscription.
            var first = await stream.WaitForAsync(record => Level(record) == 10, "the report of level 10");
            firstId = first.Id!;
        }

        // Missed while disconnected.
        await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("level", 20));
        await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("level", 30));
        await using (var watcher = await SseClient.OpenAsync(Host.Http, $"/api/events?device={lamp}&types=twinChanged", lastEventId: firstId))
        {
            var second = await watcher.NextAsync();
            var third = await watcher.NextAsync();
            Assert.Equal(20, Level(second));
            Assert.Equal(30, Level(third));
            Assert.True(Sequence(second.Id!) > Sequence(firstId) && Sequence(third.Id!) > Sequence(second.Id!));

            await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("level", 40));
            Assert.Equal(40, Level(await watcher.NextAsync()));
        }

        await using var stranger = await SseClient.OpenAsync(Host.Http, $"/api/events?device={lamp}&lastEventId=0000-1");
        var reset = await stranger.NextAsync();
        Assert.Equal("reset", reset.Event);
        Assert.Equal("0000-1", reset.Json["lastEventId"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConnectsAndDisconnectsAreConnectivityEvents()
    {
        var ap = await Devices.ProvisionAsync(DeviceKind.Wifi, "Süd");
        await using var stream = await SseClient.OpenAsync(Host.Http, $"/api/events?borough=Sued&types=connectivity&device={ap}");

        var session = await Devices.ConnectAsync(DeviceKind.Wifi, ap);
        var online = await stream.NextAsync();
        Assert.Equal("connectivity", online.Event);
        Assert.True(online.Json["connectivity"]!["online"]!.GetValue<bool>());

        await Devices.DisconnectAsync(DeviceKind.Wifi, ap, session);
        Assert.False((await stream.NextAsync()).Json["connectivity"]!["online"]!.GetValue<bool>());
    }

    [Fact]
    public async Task BadFiltersAreProblems()
    {
        foreach (var query in new[] { "kind=streetlight", "borough=Atlantis", "types=twinChanged,everything", "device=../x" })
        {
            using var response = await Host.Http.GetAsync("/api/events?" + query);
            await AssertProblemAsync(response, 400);
        }

        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };
        using var unauthorized = await anonymous.GetAsync("/api/events");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public async Task ADotNetClientFollowsTheOrleansEventStreamOfAKindAndBorough()
    {
        var bay = await Devices.ProvisionAsync(DeviceKind.Parking, "Homberg/Ruhrort/Baerl");
        var received = new TaskCompletionSource<FleetEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = Host.Service<IClusterClient>();
        var stream = client.GetStreamProvider(FleetEventStreams.ProviderName)
            .GetStream<FleetEvent>(StreamId.Create(FleetEventStreams.Namespace, FleetEventStreams.Key(DeviceKind.Parking, "Homberg/Ruhrort/Baerl")));
        var handle = await stream.SubscribeAsync((item, _) =>
        {
            if (item.DeviceId == bay && item.Type == FleetEventTypes.TwinChanged && item.Changed.Contains("reported"))
            {
                received.TrySetResult(item);
            }

            return Task.CompletedTask;
        });
        try
        {
            await Devices.ReportAsync(DeviceKind.Parking, bay, ("state", "occupied"));
            var item = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal("occupied", item.Twin!.Reported["state"].Text);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
    }

    private static double? Level(SseRecord record) => record.Data is null ? null : record.Json["twin"]?["reported"]?["level"]?.GetValue<double>();

    private static long Sequence(string id) => long.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
