using MQTTnet;
using MQTTnet.Formatter;

namespace Fleet.Silo.Tests.Mqtt;

[Collection(MqttCollection.Name)]
public sealed class MqttAuthTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task ADeviceConnectsWithItsSecretAndItsTwinGoesOnline(MqttProtocolVersion protocol)
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        Assert.False(await Devices.IsOnlineAsync(Http, "lamp", id));

        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret, protocol: protocol);

        await Devices.WaitForTwinAsync(Http, "lamp", id, twin => twin["connectivity"]!["online"]!.GetValue<bool>(), "the twin to go online");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task AWrongSecretIsRefused(MqttProtocolVersion protocol)
    {
        var (id, _) = await Devices.ProvisionAsync(Http);

        await using var device = await TestDevice.TryConnectAsync(TestDevice.Options(fixture.MqttPort, "lamp", id, "not-the-secret", protocol: protocol).Build(), "lamp", id);

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, device.ConnectResult!.ResultCode);
        Assert.False(device.Client.IsConnected);
        Assert.False(await Devices.IsOnlineAsync(Http, "lamp", id));
    }

    [Fact]
    public async Task AnUnknownDeviceIsRefused()
    {
        var id = Devices.NewId();

        await using var device = await TestDevice.TryConnectAsync(TestDevice.Options(fixture.MqttPort, "lamp", id, "whatever").Build(), "lamp", id);

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, device.ConnectResult!.ResultCode);
    }

    [Fact]
    public async Task ADecommissionedDeviceIsDisconnectedAndRefused()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        using var device = await RawMqttClient.ConnectAsync(fixture.MqttPort, "lamp/" + id, secret);

        using (var response = await Http.DeleteAsync($"/api/devices/lamp/{id}"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.Equal((int)MQTTnet.Protocol.MqttDisconnectReasonCode.NotAuthorized, await device.ReadDisconnectReasonAsync());

        await using var again = await TestDevice.TryConnectAsync(TestDevice.Options(fixture.MqttPort, "lamp", id, secret).Build(), "lamp", id);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, again.ConnectResult!.ResultCode);
    }

    [Theory]
    [InlineData("lamp")]
    [InlineData("bulb/DU-L-1")]
    [InlineData("lamp/")]
    [InlineData("lamp/has space")]
    [InlineData("Lamp/DU-L-1")]
    public async Task AUserNameThatIsNotKindSlashIdIsRefused(string userName)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", fixture.MqttPort)
            .WithClientId("bad-user-" + Guid.NewGuid().ToString("N"))
            .WithCredentials(userName, "secret")
            .Build();

        await using var device = await TestDevice.TryConnectAsync(options, "lamp", "x");

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, device.ConnectResult!.ResultCode);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task AnEmptyClientIdIsGivenOne(MqttProtocolVersion protocol)
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var options = TestDevice.Options(fixture.MqttPort, "lamp", id, secret, protocol: protocol).WithClientId(string.Empty).WithCleanSession().Build();

        await using var device = await TestDevice.TryConnectAsync(options, "lamp", id);

        Assert.Equal(MqttClientConnectResultCode.Success, device.ConnectResult!.ResultCode);
        var published = await device.PublishAsync("telemetry", """{"seq": 1, "level": 12}""");
        Assert.True(published.IsSuccess);
        Assert.Equal(12, (await Devices.TwinAsync(Http, "lamp", id))["reported"]!["level"]!.GetValue<double>());
    }

    [Fact]
    public async Task AClientIdHeldByAnotherDeviceIsRefused()
    {
        var (a, secretA) = await Devices.ProvisionAsync(Http);
        var (b, secretB) = await Devices.ProvisionAsync(Http);
        var clientId = "shared-" + Guid.NewGuid().ToString("N");
        await using var first = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", a, secretA, clientId);

        await using var second = await TestDevice.TryConnectAsync(TestDevice.Options(fixture.MqttPort, "lamp", b, secretB, clientId).Build(), "lamp", b);

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, second.ConnectResult!.ResultCode);
        Assert.True(first.Client.IsConnected);
        Assert.True(await first.Client.TryPingAsync());
    }
}
