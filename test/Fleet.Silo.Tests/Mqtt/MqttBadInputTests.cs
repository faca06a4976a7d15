using System.Text;
using MQTTnet;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>Every kind of bad uplink: an error on the device's errors topic, a v5 reason code, the twin unchanged, the device and the silo fine.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttBadInputTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Theory]
    [InlineData("not json", "invalidPayload", MqttClientPublishReasonCode.PayloadFormatInvalid, "not valid UTF-8 JSON", null)]
    [InlineData("[1, 2]", "invalidPayload", MqttClientPublishReasonCode.PayloadFormatInvalid, "JSON object", null)]
    [InlineData("""{"level": 20}""", "invalidPayload", MqttClientPublishReasonCode.PayloadFormatInvalid, "'seq' is required", null)]
    [InlineData("""{"seq": -1, "level": 20}""", "invalidPayload", MqttClientPublishReasonCode.PayloadFormatInvalid, "'seq'", null)]
    [InlineData("""{"seq": 3, "ts": "yesterday", "level": 20}""", "invalidPayload", MqttClientPublishReasonCode.PayloadFormatInvalid, "'ts'", 3L)]
    [InlineData("""{"seq": 4, "level": "high"}""", "rejectedValue", MqttClientPublishReasonCode.PayloadFormatInvalid, "'level' must be a number", 4L)]
    [InlineData("""{"seq": 5, "level": 1e9}""", "rejectedValue", MqttClientPublishReasonCode.PayloadFormatInvalid, "'level' must be between 0 and 100", 5L)]
    [InlineData("""{"seq": 6, "on": "yes"}""", "rejectedValue", MqttClientPublishReasonCode.PayloadFormatInvalid, "'on' must be true or false", 6L)]
    [InlineData("""{"seq": 7, "level": {"value": 3}}""", "invalidPayload", MqttClientPublishReasonCode.PayloadFormatInvalid, "'level' has an unsupported JSON type", 7L)]
    [InlineData("""{"seq": 8, "ts": "2099-01-01T00:00:00Z", "level": 20}""", "rejectedValue", MqttClientPublishReasonCode.PayloadFormatInvalid, "'ts'", 8L)]
    public async Task AMalformedPayloadIsRejectedAndReported(string payload, string code, MqttClientPublishReasonCode reason, string errorContains, long? seq)
    {
        var (device, before) = await ConnectAsync();
        await using var _ = device;
        var topic = device.Prefix + "telemetry";

        var result = await device.PublishToAsync(topic, payload);

        Assert.Equal(reason, result.ReasonCode);
        var error = await device.WaitForErrorAsync(topic, code);
        Assert.Contains(errorContains, (string?)error.Json["error"], StringComparison.Ordinal);
        Assert.Equal(seq, error.Json["seq"]?.GetValue<long>());
        await AssertUnchangedAndHealthyAsync(device, before);
    }

    [Fact]
    public async Task APayloadOverTheLimitIsRejected()
    {
        var (device, before) = await ConnectAsync();
        await using var _ = device;
        var topic = device.Prefix + "telemetry";
        var payload = Encoding.UTF8.GetBytes("{\"seq\": 1, \"firmware\": \"" + new string('x', 1024 * 1024) + "\"}");

        var result = await device.PublishToAsync(topic, payload);

        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, result.ReasonCode);
        var error = await device.WaitForErrorAsync(topic, "payloadTooLarge");
        Assert.Contains("16384", (string?)error.Json["error"], StringComparison.Ordinal);
        await AssertUnchangedAndHealthyAsync(device, before);
    }

    [Theory]
    [InlineData("foo/bar")]
    [InlineData("fleet")]
    [InlineData("fleet/lamp/{own}")]
    [InlineData("fleet/lamp/{own}/desired")]
    [InlineData("fleet/lamp/{own}/errors")]
    [InlineData("fleet/lamp/{own}/bogus")]
    [InlineData("fleet/lamp/{own}/commands/c1")]
    [InlineData("fleet/lamp/{own}/telemetry/extra")]
    [InlineData("fleet/bulb/{own}/telemetry")]
    public async Task ATopicOutsideTheSchemeIsRejected(string pattern)
    {
        var (device, before) = await ConnectAsync();
        await using var _ = device;
        var topic = pattern.Replace("{own}", device.Id, StringComparison.Ordinal);

        var result = await device.PublishToAsync(topic, """{"seq": 1, "level": 20}""");

        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, result.ReasonCode);
        await device.WaitForErrorAsync(topic, "invalidTopic");
        await AssertUnchangedAndHealthyAsync(device, before);
    }

    [Fact]
    public async Task AWrongKindInTheTopicIsAnotherDevicesTopic()
    {
        var (device, before) = await ConnectAsync();
        await using var _ = device;
        var topic = $"fleet/parking/{device.Id}/telemetry";

        var result = await device.PublishToAsync(topic, """{"seq": 1, "state": "free"}""");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        await device.WaitForErrorAsync(topic, "notAuthorized");
        await AssertUnchangedAndHealthyAsync(device, before);
    }

    [Fact]
    public async Task AnUnknownFieldIsReportedAndTheRestApplied()
    {
        var (device, _) = await ConnectAsync();
        await using var __ = device;
        var topic = device.Prefix + "telemetry";

        var result = await device.PublishToAsync(topic, """{"seq": 9, "level": 20, "colour": "red", "nested": {"a": 1}}""");

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        var notice = await device.WaitForErrorAsync(topic, "ignoredFields");
        Assert.Contains("colour", (string?)notice.Json["error"], StringComparison.Ordinal);
        Assert.Contains("nested", (string?)notice.Json["error"], StringComparison.Ordinal);
        Assert.Equal(9, notice.Json["seq"]!.GetValue<long>());
        var reported = (await Devices.TwinAsync(Http, "lamp", device.Id))["reported"]!;
        Assert.Equal(20, reported["level"]!.GetValue<double>());
        Assert.Null(reported["colour"]);
    }

    private async Task<(TestDevice Device, long Version)> ConnectAsync()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        await device.PublishAsync("telemetry", """{"seq": 0, "level": 50}""");
        return (device, MqttUplinkTests.Version(await Devices.TwinAsync(Http, "lamp", id)));
    }

    private async Task AssertUnchangedAndHealthyAsync(TestDevice device, long version)
    {
        var twin = await Devices.TwinAsync(Http, "lamp", device.Id);
        Assert.Equal(version, MqttUplinkTests.Version(twin));
        Assert.Equal(50, twin["reported"]!["level"]!.GetValue<double>());
        Assert.True(device.Client.IsConnected);
        Assert.True(await device.Client.TryPingAsync());
        using var health = await Http.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }
}
