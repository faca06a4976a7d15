using System.Net.Sockets;
using Fleet.Devices;
using Fleet.Grains;
using MQTTnet;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>The twin's connectivity follows the connection, with no help from a Will message.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttConnectivityTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task ACleanDisconnectTakesTheTwinOffline()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        await Devices.WaitForTwinAsync(Http, "lamp", id, Online, "the twin to go online");

        await device.Client.DisconnectAsync();
        await device.DisposeAsync();

        var twin = await Devices.WaitForTwinAsync(Http, "lamp", id, Offline, "the twin to go offline");
        Assert.NotNull(twin["connectivity"]!["lastSeen"]);
    }

    [Fact]
    public async Task ASilentConnectionIsDroppedAfterItsKeepAliveAndTheTwinGoesOffline()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        using var client = await RawMqttClient.ConnectAsync(fixture.MqttPort, "lamp/" + id, secret, keepAliveSeconds: 1, v5: false);
        await Devices.WaitForTwinAsync(Http, "lamp", id, Online, "the twin to go online");

        // The raw client never pings: the server gives up after 1.5 keep-alive periods.
        await Devices.WaitForTwinAsync(Http, "lamp", id, Offline, "the twin to go offline after the keep-alive expired");
        Assert.True(await client.IsClosedByServerAsync(), "the server should have closed the silent connection");
    }

    [Fact]
    public async Task ALostSocketTakesTheTwinOffline()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var client = await RawMqttClient.ConnectAsync(fixture.MqttPort, "lamp/" + id, secret, v5: false);
        await Devices.WaitForTwinAsync(Http, "lamp", id, Online, "the twin to go online");

        client.Socket.LingerState = new LingerOption(true, 0);
        client.Dispose();

        await Devices.WaitForTwinAsync(Http, "lamp", id, Offline, "the twin to go offline after a reset");
    }

    [Fact]
    public async Task AWillMessageIsNotNeededAndNotRelayed()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var (other, otherSecret) = await Devices.ProvisionAsync(Http);
        await using var watcher = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", other, otherSecret);
        await watcher.SubscribeAsync(watcher.Prefix + "#");
        var options = TestDevice.Options(fixture.MqttPort, "lamp", id, secret)
            .WithWillTopic($"fleet/lamp/{other}/desired")
            .WithWillPayload("""{"version": 999}""")
            .Build();
        var device = await TestDevice.TryConnectAsync(options, "lamp", id);

        device.Client.Dispose();

        await Devices.WaitForTwinAsync(Http, "lamp", id, Offline, "the twin to go offline");
        await Devices.PatchDesiredAsync(Http, "lamp", other, """{"level": 1}""");
        await watcher.WaitForDesiredAsync(doc => doc["desired"]!["level"]!.GetValue<double>() == 1);
        Assert.DoesNotContain(watcher.ReceivedSoFar, r => r.Payload.Contains("999", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATwinWhoseGatewaySiloLeftTheClusterIsOfflineWhenRead()
    {
        var (id, _) = await Devices.ProvisionAsync(Http);
        var grains = fixture.Host.Service<IGrainFactory>();
        var local = fixture.Host.Service<ILocalSiloDetails>().SiloAddress;

        // A silo of an earlier incarnation on this endpoint: no such member any more.
        var gone = SiloAddress.New(local.Endpoint, local.Generation - 1000).ToParsableString();
        await grains.GetEndpoint(DeviceKind.Lamp, id).Connected(new DeviceConnection { SessionId = "s-gone", Gateway = gone, At = DateTimeOffset.UtcNow });

        var twin = await Devices.TwinAsync(Http, "lamp", id);
        Assert.False(twin["connectivity"]!["online"]!.GetValue<bool>());

        // And a desired change for it is stored, not pushed anywhere.
        var patched = await Devices.PatchDesiredAsync(Http, "lamp", id, """{"level": 10}""");
        Assert.False(patched["connectivity"]!["online"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ATwinWhoseSessionIsNotOnItsGatewayGoesOfflineOnTheNextPush()
    {
        var (id, _) = await Devices.ProvisionAsync(Http);
        var grains = fixture.Host.Service<IGrainFactory>();
        var local = fixture.Host.Service<ILocalSiloDetails>().SiloAddress.ToParsableString();
        await grains.GetEndpoint(DeviceKind.Lamp, id).Connected(new DeviceConnection { SessionId = "s-unknown", Gateway = local, At = DateTimeOffset.UtcNow });
        Assert.True(await Devices.IsOnlineAsync(Http, "lamp", id));

        await Devices.PatchDesiredAsync(Http, "lamp", id, """{"level": 10}""");

        Assert.False(await Devices.IsOnlineAsync(Http, "lamp", id));
    }

    private static bool Online(System.Text.Json.Nodes.JsonNode twin) => twin["connectivity"]!["online"]!.GetValue<bool>();

    private static bool Offline(System.Text.Json.Nodes.JsonNode twin) => !Online(twin);
}
