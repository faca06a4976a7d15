using Fleet.Silo.Demo;

namespace Fleet.Silo.Tests.Demo;

public sealed class LiveDevicesTests
{
    [Theory]
    [InlineData("DU-L-000001", true)]
    [InlineData("DU-L-000010", true)]
    [InlineData("DU-W-0010", true)]
    [InlineData("DU-M-000007", true)]
    [InlineData("DU-L-000011", false)]
    [InlineData("DU-P-000100", false)]
    [InlineData("DU-W-0011", false)]
    public void TheFirstTenOfEachKindAreLeftForPeople(string id, bool kept) =>
        Assert.Equal(kept, LiveDevices.IsKeptForHands(id));
}

public sealed class LiveDemoTests
{
    [Fact]
    public async Task TheDemoFleetComesAliveOverMqttButLeavesTheFirstTenAlone()
    {
        await using var host = new Hosting.FleetHost(new Dictionary<string, string>
        {
            ["Fleet:Demo:Enabled"] = "true",
            ["Fleet:Demo:LiveDevices"] = "true",
            ["Fleet:Demo:LiveDeviceInterval"] = "00:00:01",
            ["Fleet:Demo:Lamps"] = "12",
            ["Fleet:Demo:ParkingBays"] = "0",
            ["Fleet:Demo:AccessPoints"] = "0",
            ["Fleet:Demo:Meters"] = "0",
            ["Fleet:Mqtt:Port"] = Hosting.FleetHost.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:BindAddress"] = "127.0.0.1",
        });
        await host.StartAsync();

        System.Text.Json.Nodes.JsonNode? twin = null;
        await Hosting.Poll.UntilAsync(
            async () =>
            {
                using var response = await host.Http.GetAsync("/api/devices/lamp/DU-L-000011");
                twin = response.IsSuccessStatusCode ? await Api.ApiTestKit.ReadJsonAsync(response) : null;
                return twin?["connectivity"]?["online"]?.GetValue<bool>() == true && twin["reported"]?["powerW"] is not null;
            },
            "the simulated lamp DU-L-000011 to come online and report",
            TimeSpan.FromSeconds(60));

        Assert.True(twin?["connectivity"]?["online"]?.GetValue<bool>(), "the simulated lamp DU-L-000011 never came online");
        Assert.NotNull(twin!["reported"]!["powerW"]);
        using var kept = await host.Http.GetAsync("/api/devices/lamp/DU-L-000001");
        var handDriven = await Api.ApiTestKit.ReadJsonAsync(kept);
        Assert.False(handDriven["connectivity"]!["online"]!.GetValue<bool>());
        Assert.Empty(handDriven["reported"]!.AsObject());
    }
}
