using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Silo.Tests.Mqtt;

[Collection(MqttCollection.Name)]
public sealed class MqttUplinkTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task AQoS1TelemetryMessageIsAcknowledgedAfterTheTwinAppliedIt()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);

        var result = await device.PublishAsync("telemetry", """{"seq": 7, "ts": "2026-01-25T17:00:00Z", "on": true, "level": 70, "powerW": 41.5, "energyWh": 123456}""");

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);

        // No polling: the PUBACK came after the twin accepted the message.
        var reported = (await Devices.TwinAsync(Http, "lamp", id))["reported"]!;
        Assert.Equal(70, reported["level"]!.GetValue<double>());
        Assert.Equal(41.5, reported["powerW"]!.GetValue<double>());
        Assert.True(reported["on"]!.GetValue<bool>());
    }

    [Fact]
    public async Task QoS1MessagesInFlightTogetherAreAppliedInOrder()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);

        var publishes = Enumerable.Range(1, 20).Select(seq => device.PublishAsync("telemetry", $$"""{"seq": {{seq}}, "level": {{seq}}}""")).ToList();
        var results = await Task.WhenAll(publishes);

        Assert.All(results, result => Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode));
        Assert.Equal(20, (await Devices.TwinAsync(Http, "lamp", id))["reported"]!["level"]!.GetValue<double>());

        // Out-of-order handling would have shown up as stale sequence numbers; a last message with
        // a notice marks the end of everything the gateway said about the twenty.
        await device.PublishAsync("telemetry", """{"seq": 21, "colour": "red"}""");
        await device.WaitForErrorAsync(device.Prefix + "telemetry", "ignoredFields");
        Assert.DoesNotContain(device.ReceivedSoFar, r => r.Payload.Contains("staleSeq", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARepeatedSeqIsAcknowledgedButNotApplied()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        await device.PublishAsync("telemetry", """{"seq": 5, "level": 50}""");

        var result = await device.PublishAsync("telemetry", """{"seq": 5, "level": 10}""");

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        var notice = await device.WaitForErrorAsync(device.Prefix + "telemetry", "staleSeq");
        Assert.Equal(5, notice.Json["seq"]!.GetValue<long>());
        Assert.Equal(50, (await Devices.TwinAsync(Http, "lamp", id))["reported"]!["level"]!.GetValue<double>());

        // A new boot starts the count again.
        await device.PublishAsync("telemetry", """{"boot": 1, "seq": 0, "level": 11}""");
        Assert.Equal(11, (await Devices.TwinAsync(Http, "lamp", id))["reported"]!["level"]!.GetValue<double>());
    }

    [Fact]
    public async Task ReportedStateIsMerged()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http, "wifi");
        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "wifi", id, secret);

        await device.PublishAsync("telemetry", """{"seq": 1, "up": true, "clients": 12}""");
        var result = await device.PublishAsync("reported", """{"seq": 2, "firmware": "2.4.1", "ssids": ["DU-Free"]}""");

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        var reported = (await Devices.TwinAsync(Http, "wifi", id))["reported"]!;
        Assert.Equal("2.4.1", reported["firmware"]!.GetValue<string>());
        Assert.Equal(12, reported["clients"]!.GetValue<double>());
        Assert.Equal("DU-Free", reported["ssids"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task TheDesiredDocumentIsPushedWhenItChanges()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await device.SubscribeAsync(device.Prefix + "desired"));

        var twin = await Devices.PatchDesiredAsync(Http, "lamp", id, """{"on": true, "level": 40}""");

        var document = (await device.WaitForDesiredAsync(doc => doc["desired"]?["level"]?.GetValue<double>() == 40)).Json;
        Assert.Equal(twin["version"]!.GetValue<long>(), document["version"]!.GetValue<long>());
        Assert.True(document["desired"]!["on"]!.GetValue<bool>());
        Assert.Equal(40, document["delta"]!["level"]!.GetValue<double>());

        // Removing a desired field is a change too; the document then lacks it.
        await Devices.PatchDesiredAsync(Http, "lamp", id, """{"on": null}""");
        await device.WaitForDesiredAsync(doc => doc["desired"]!["on"] is null && doc["desired"]!["level"]!.GetValue<double>() == 40);
    }

    [Fact]
    public async Task TheDesiredDocumentIsPushedRightAfterReconnectingWhileADeltaExists()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using (await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret))
        {
        }

        await Devices.WaitForTwinAsync(Http, "lamp", id, twin => !twin["connectivity"]!["online"]!.GetValue<bool>(), "the twin to go offline");
        var twin = await Devices.PatchDesiredAsync(Http, "lamp", id, """{"level": 65}""");

        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);

        var document = (await device.WaitForDesiredAsync(doc => doc["desired"]!["level"]!.GetValue<double>() == 65)).Json;
        Assert.True(document["version"]!.GetValue<long>() >= twin["version"]!.GetValue<long>());
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, device.ReceivedSoFar[0].Qos);

        // Once the device reports what was desired there is no delta, and a reconnect brings nothing.
        await device.PublishAsync("telemetry", """{"seq": 1, "level": 65}""");
        await device.DisposeAsync();
        await using var again = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        await again.PublishAsync("telemetry", """{"seq": 2, "colour": "blue"}""");
        await again.WaitForErrorAsync(again.Prefix + "telemetry", "ignoredFields");
        Assert.DoesNotContain(again.ReceivedSoFar, r => r.Topic.EndsWith("/desired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AResultForAnUnknownCommandIsAcknowledgedAndAnsweredAndABadStatusIsRefused()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        var topic = device.Prefix + "commands/c-1/result";

        var result = await device.PublishToAsync(topic, """{"status": "succeeded", "detail": "done"}""");

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        var error = await device.WaitForErrorAsync(topic, "unknownCommand");
        Assert.Contains("no command 'c-1' is known", (string?)error.Json["error"], StringComparison.Ordinal);

        var bad = await device.PublishToAsync(topic, """{"status": "maybe"}""");
        var queued = await device.PublishToAsync(topic, """{"status": "queued"}""");
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, queued.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, bad.ReasonCode);
        await device.WaitForErrorAsync(topic, "invalidPayload");
    }

    internal static long Version(JsonNode twin) => twin["version"]!.GetValue<long>();
}
