using System.Collections.Immutable;
using System.Buffers;
using System.Text;
using Fleet.Devices;
using Fleet.Grains.Gateway;
using Fleet.Protocol;
using Fleet.Silo.Mqtt;
using Fleet.Twins;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>The gateway's pure rules, without a server: topics, subscriptions, payloads, the rate limit, liveness.</summary>
public sealed class ProtocolRulesTests
{
    private static readonly GatewaySession Lamp = new(DeviceKind.Lamp, "DU-L-1", "client", new TokenBucket(10, 20, TimeProvider.System));

    [Theory]
    [InlineData("fleet/lamp/DU-L-1/telemetry", TopicChannel.Telemetry, null)]
    [InlineData("fleet/meter/M.7_x/reported", TopicChannel.Reported, null)]
    [InlineData("fleet/wifi/W1/commands/c:42/result", TopicChannel.CommandResult, "c:42")]
    [InlineData("fleet/parking/P1/commands/c-1", TopicChannel.Command, "c-1")]
    [InlineData("fleet/lamp/DU-L-1/desired", TopicChannel.Desired, null)]
    [InlineData("fleet/lamp/DU-L-1/errors", TopicChannel.Errors, null)]
    public void DeviceTopicsParseAndFormatTheScheme(string topic, TopicChannel channel, string? commandId)
    {
        Assert.True(DeviceTopics.TryParse(topic, out var parsed));
        Assert.Equal(channel, parsed.Channel);
        Assert.Equal(commandId, parsed.CommandId);
        Assert.Equal(topic, parsed.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("fleet/lamp/DU-L-1")]
    [InlineData("fleet/bulb/DU-L-1/telemetry")]
    [InlineData("fleet/lamp/-bad/telemetry")]
    [InlineData("fleet/lamp/DU-L-1/telemetry/x")]
    [InlineData("fleet/lamp/DU-L-1/commands//result")]
    [InlineData("fleet/lamp/DU-L-1/commands/a+b/result")]
    [InlineData("Fleet/lamp/DU-L-1/telemetry")]
    public void TopicsOutsideTheSchemeDoNotParse(string topic) => Assert.False(DeviceTopics.TryParse(topic, out _));

    [Theory]
    [InlineData("fleet/lamp/DU-L-1/desired", true)]
    [InlineData("fleet/lamp/DU-L-1/errors", true)]
    [InlineData("fleet/lamp/DU-L-1/commands/#", true)]
    [InlineData("fleet/lamp/DU-L-1/commands/c1", true)]
    [InlineData("fleet/lamp/DU-L-1/#", true)]
    [InlineData("fleet/lamp/DU-L-1/+", true)]
    [InlineData("fleet/lamp/DU-L-1/telemetry", false)]
    [InlineData("fleet/lamp/DU-L-1/commands/c1/result", false)]
    [InlineData("fleet/lamp/DU-L-10/desired", false)]
    [InlineData("fleet/lamp/+/desired", false)]
    [InlineData("fleet/+/DU-L-1/desired", false)]
    [InlineData("+/lamp/DU-L-1/desired", false)]
    [InlineData("fleet/#", false)]
    [InlineData("#", false)]
    [InlineData("fleet/lamp/DU-L-1", false)]
    public void ADeviceMaySubscribeOnlyToItsOwnDownlink(string filter, bool allowed) =>
        Assert.Equal(allowed, TopicAcl.MaySubscribe(Lamp, filter));

    [Fact]
    public void AReportIsReadWithItsOrderingAndTime()
    {
        var parse = UplinkPayload.ParseReport(Json("""{"seq": 12, "boot": 3, "ts": "2026-11-25T17:00:00", "level": 40, "colour": "red"}"""), DeviceKind.Lamp, ReportTopic.Telemetry);

        var report = Assert.IsType<DeviceReport>(parse.Report);
        Assert.Equal(12, report.Seq);
        Assert.Equal(3, report.Boot);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 17, 0, 0, TimeSpan.Zero), report.Timestamp);
        Assert.Equal(TwinValue.Of(40), report.Values["level"]);
        Assert.Equal("colour", Assert.Single(parse.UnknownFields));
    }

    [Theory]
    [InlineData("", "not valid UTF-8 JSON", null)]
    [InlineData("\"text\"", "JSON object", null)]
    [InlineData("""{"seq": 1.5}""", "'seq' must be a whole number", null)]
    [InlineData("""{"seq": 2, "boot": -1}""", "'boot'", 2L)]
    [InlineData("""{"seq": 2, "ts": 1700000000}""", "'ts'", 2L)]
    [InlineData("""{"seq": 2, "enabled": null}""", "'enabled' has an unsupported JSON type", 2L)]
    [InlineData("""{"seq": 2, "ssids": ["a", 1]}""", "'ssids' must be a list of strings", 2L)]
    public void ABadReportNamesWhatIsWrong(string json, string error, long? seq)
    {
        var parse = UplinkPayload.ParseReport(Json(json), DeviceKind.Wifi, ReportTopic.Reported);

        Assert.Null(parse.Report);
        Assert.Contains(error, parse.Error, StringComparison.Ordinal);
        Assert.Equal(seq, parse.Seq);
    }

    [Fact]
    public void TheDesiredDocumentIsPlainJsonInFieldOrder()
    {
        var document = new DesiredDocument
        {
            Version = 17,
            Desired = new Dictionary<string, TwinValue> { ["on"] = TwinValue.Of(true), ["level"] = TwinValue.Of(40) }.ToImmutableDictionary(),
            Delta = new Dictionary<string, TwinValue> { ["level"] = TwinValue.Of(40) }.ToImmutableDictionary(),
        };

        Assert.Equal("""{"version":17,"desired":{"level":40,"on":true},"delta":{"level":40}}""", Encoding.UTF8.GetString(DownlinkPayload.Desired(document)));
        Assert.Equal(
            """{"topic":"fleet/lamp/x/telemetry","error":"'level' must be a number","code":"rejectedValue","seq":4}""",
            Encoding.UTF8.GetString(DownlinkPayload.Error("fleet/lamp/x/telemetry", new UplinkAnswer(UplinkReasons.RejectedValue, MQTTnet.Protocol.MqttPubAckReasonCode.PayloadFormatInvalid, "'level' must be a number", 4))));
    }

    [Fact]
    public void TheTokenBucketAllowsABurstThenTheSustainedRate()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(10, 20, time);

        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => bucket.TryTake()));
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(5, Enumerable.Range(0, 30).Count(_ => bucket.TryTake()));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => bucket.TryTake()));
    }

    [Theory]
    [InlineData("lamp/DU-L-1", true)]
    [InlineData("meter/M-1", true)]
    [InlineData("lamp", false)]
    [InlineData("lamp/", false)]
    [InlineData("LAMP/x", false)]
    [InlineData("lamp/a/b", false)]
    [InlineData(null, false)]
    public void TheUserNameIsKindSlashId(string? userName, bool valid) =>
        Assert.Equal(valid, DeviceUserName.TryParse(userName, out _, out _, out _));

    [Fact]
    public void AGatewayNameThatIsNoSiloAddressIsNeverJudged() =>
        Assert.False(GatewayLiveness.TryParse("silo-a", out _));

    private static ReadOnlySequence<byte> Json(string text) => new(Encoding.UTF8.GetBytes(text));
}
