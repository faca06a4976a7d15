using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Silo.Tests.Mqtt;

[Collection(MqttCollection.Name)]
public sealed class MqttAclTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task PublishingOnAnotherDevicesTopicIsRefusedAndLeavesItsTwinUnchanged()
    {
        var (a, secretA) = await Devices.ProvisionAsync(Http);
        var (b, _) = await Devices.ProvisionAsync(Http);
        var before = await Devices.TwinAsync(Http, "lamp", b);
        await using var deviceA = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", a, secretA);

        var topic = $"fleet/lamp/{b}/telemetry";
        var result = await deviceA.PublishToAsync(topic, """{"seq": 1, "on": true, "level": 100}""");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        var error = await deviceA.WaitForErrorAsync(topic, "notAuthorized");
        Assert.Contains($"fleet/lamp/{a}/", (string?)error.Json["error"], StringComparison.Ordinal);
        var after = await Devices.TwinAsync(Http, "lamp", b);
        Assert.Equal(before["version"]!.GetValue<long>(), after["version"]!.GetValue<long>());
        Assert.Empty(after["reported"]!.AsObject());
        Assert.True(deviceA.Client.IsConnected);
    }

    [Fact]
    public async Task AnMqtt311QoS0PublishOnAnotherDevicesTopicIsDropped()
    {
        var (a, secretA) = await Devices.ProvisionAsync(Http);
        var (b, _) = await Devices.ProvisionAsync(Http);
        await using var deviceA = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", a, secretA, protocol: MqttProtocolVersion.V311);

        var topic = $"fleet/lamp/{b}/telemetry";
        await deviceA.PublishToAsync(topic, """{"seq": 1, "level": 100}""", MqttQualityOfServiceLevel.AtMostOnce);

        await deviceA.WaitForErrorAsync(topic, "notAuthorized");
        Assert.Empty((await Devices.TwinAsync(Http, "lamp", b))["reported"]!.AsObject());
    }

    [Fact]
    public async Task RepeatedPublishesOnOtherDevicesTopicsCloseTheSession()
    {
        var (a, secretA) = await Devices.ProvisionAsync(Http);
        var (b, _) = await Devices.ProvisionAsync(Http);
        await using var deviceA = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", a, secretA);

        for (var i = 1; i <= 4; i++)
        {
            var result = await deviceA.PublishToAsync($"fleet/lamp/{b}/telemetry", $$"""{"seq": {{i}}}""");
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => deviceA.PublishToAsync($"fleet/lamp/{b}/telemetry", """{"seq": 5}"""));
        await deviceA.WaitForDisconnectAsync();
        Assert.False(deviceA.Client.IsConnected);
    }

    [Theory]
    [InlineData("fleet/#")]
    [InlineData("#")]
    [InlineData("+/lamp/{b}/desired")]
    [InlineData("fleet/lamp/+/desired")]
    [InlineData("fleet/+/{b}/#")]
    [InlineData("fleet/lamp/{b}/desired")]
    [InlineData("fleet/lamp/{b}/commands/#")]
    [InlineData("fleet/lamp/{b}/errors")]
    [InlineData("fleet/lamp/{a}/telemetry")]
    [InlineData("fleet/lamp/{a}/commands/c1/result")]
    [InlineData("$SYS/#")]
    public async Task SubscribingOutsideTheOwnDownlinkIsRefusedAndReceivesNothingOfOthers(string filterPattern)
    {
        var (a, secretA) = await Devices.ProvisionAsync(Http);
        var (b, secretB) = await Devices.ProvisionAsync(Http);
        await using var deviceA = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", a, secretA);
        await using var deviceB = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", b, secretB);

        var code = await deviceA.SubscribeAsync(filterPattern.Replace("{a}", a, StringComparison.Ordinal).Replace("{b}", b, StringComparison.Ordinal));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, code);

        // B gets its desired document and an error; then A gets its own desired document, which
        // it can only receive after anything of B's would have been queued to it.
        await Devices.PatchDesiredAsync(Http, "lamp", b, """{"level": 30}""");
        await deviceB.WaitForDesiredAsync(doc => doc["desired"]!["level"]!.GetValue<double>() == 30);
        await deviceB.PublishAsync("telemetry", "not json");
        await deviceB.WaitForErrorAsync(deviceB.Prefix + "telemetry", "invalidPayload");
        await Devices.PatchDesiredAsync(Http, "lamp", a, """{"level": 31}""");
        await deviceA.WaitForDesiredAsync(doc => doc["desired"]!["level"]!.GetValue<double>() == 31);

        Assert.DoesNotContain(deviceA.ReceivedSoFar, message => message.Topic.Contains(b, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("desired")]
    [InlineData("errors")]
    [InlineData("commands/#")]
    [InlineData("commands/+")]
    [InlineData("commands/c-17")]
    [InlineData("#")]
    [InlineData("+")]
    public async Task SubscribingToTheOwnDownlinkIsGranted(string suffix)
    {
        var (a, secretA) = await Devices.ProvisionAsync(Http);
        await using var deviceA = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", a, secretA);

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await deviceA.SubscribeAsync(deviceA.Prefix + suffix));
    }
}
