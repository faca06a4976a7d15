using System.Text.Json.Nodes;
using Fleet.Client;
using Fleet.Devices;
using Fleet.Silo.Tests.Alarms;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Events;

/// <summary>fleet events tail: an Orleans client subscribing to the event streams through the gateway.</summary>
[Collection(HostCollection.Name)]
public sealed class EventsCliTests(HostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task EventsTailPrintsTheDevicesEventsAsJsonLines()
    {
        var devices = new FleetDevices(Host);
        var lamp = await devices.ProvisionAsync(DeviceKind.Lamp, "Meiderich/Beeck");
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args =
        [
            "events", "tail", "--kind", "lamp", "--borough", "Meiderich/Beeck", "--device", lamp, "--types", "twinChanged", "--count", "1", "--timeout", "00:00:30",
            "--gateway", $"127.0.0.1:{Host.Setting("Fleet:Orleans:GatewayPort")}", "--cluster-id", Host.Setting("Fleet:Orleans:ClusterId"),
        ];
        var tail = FleetCli.RunAsync(args, output, error);

        // The tail subscribes at its own pace: report until it has printed one event (bounded by its timeout).
        var level = 0;
        while (!tail.IsCompleted && level < 300)
        {
            await devices.ReportAsync(DeviceKind.Lamp, lamp, ("level", ++level % 100));
            await Task.WhenAny(tail, Task.Delay(100));
        }

        Assert.Equal(0, await tail);
        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var item = JsonNode.Parse(line)!;
        Assert.Equal("twinChanged", item["type"]!.GetValue<string>());
        Assert.Equal(lamp, item["deviceId"]!.GetValue<string>());
    }
}
