using System.Text.Json.Nodes;
using Fleet.Client;
using Fleet.Devices;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Alarms;

/// <summary>fleet alarms list|ack through the Orleans gateway.</summary>
[Collection(AlarmsHostCollection.Name)]
public sealed class AlarmsCliTests(AlarmsHostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task AlarmsListShowsTheAlarmAndAckAcknowledgesIt()
    {
        var devices = new FleetDevices(Host);
        var meter = await devices.ProvisionAsync(DeviceKind.Meter, "Walsum");
        await devices.ReportAsync(DeviceKind.Meter, meter, ("tamper", true));

        JsonNode? page = null;
        await Poll.UntilAsync(
            async () =>
            {
                var (exit, output, _) = await RunAsync("alarms", "list", "--device", meter, "--state", "active", "--json");
                Assert.Equal(0, exit);
                page = JsonNode.Parse(output);
                return page!["alarms"]!.AsArray().Count == 1;
            },
            "the tamper alarm in fleet alarms list");
        var id = page!["alarms"]![0]!["id"]!.GetValue<long>();

        var (tableExit, table, _) = await RunAsync("alarms", "list", "--device", meter);
        Assert.Equal(0, tableExit);
        Assert.Contains("tamper", table, StringComparison.Ordinal);
        Assert.Contains("major", table, StringComparison.Ordinal);

        var (ackExit, acked, _) = await RunAsync("alarms", "ack", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--comment", "Seal checked.", "--user", "crew-7");
        Assert.Equal(0, ackExit);
        Assert.Equal("acknowledged", JsonNode.Parse(acked)!["state"]!.GetValue<string>());

        var (againExit, _, error) = await RunAsync("alarms", "ack", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--comment", "again");
        Assert.Equal(1, againExit);
        Assert.Contains("crew-7", error, StringComparison.Ordinal);

        var (badExit, _, badError) = await RunAsync("alarms", "list", "--severity", "loud");
        Assert.Equal(1, badExit);
        Assert.StartsWith("fleet: ", badError, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] connection = ["--gateway", $"127.0.0.1:{Host.Setting("Fleet:Orleans:GatewayPort")}", "--cluster-id", Host.Setting("Fleet:Orleans:ClusterId")];
        var exit = await FleetCli.RunAsync([.. args, .. connection], output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
