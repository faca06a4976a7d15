using System.Globalization;
using System.Net;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Tests;

/// <summary>The simulated device against an in-process broker playing Fleet: connect, report, reconnect, resume, answer.</summary>
public sealed class ProtocolTests
{
    private static readonly DeviceCredentials Lamp = new("lamp", "DU-L-000042", "lamp-secret");

    [Fact]
    public async Task ConnectsAsKindSlashIdWithTheSecretAsPassword()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));

        var connection = await Eventually.Found(() => broker.FirstConnection, "the device to connect");

        Assert.Equal("lamp/DU-L-000042", connection.UserName);
        Assert.Equal("lamp-secret", connection.Password);
        await Eventually.True(() => running.Device.IsConnected, "the device to see itself connected");
    }

    [Fact]
    public async Task PublishesTelemetryOnItsTopicWithIncreasingSeq()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        var topic = "fleet/lamp/DU-L-000042/telemetry";

        await Eventually.True(() => broker.UplinksOn(topic).Count >= 3, "three telemetry messages");

        var telemetry = broker.UplinksOn(topic).Take(3).ToList();
        Assert.All(telemetry, t => Assert.Equal("lamp/DU-L-000042", t.UserName));
        AssertStrictlyIncreasing(telemetry.Select(t => t.Seq));
        var first = telemetry[0].Json;
        Assert.Equal(running.Device.Boot, first.GetProperty("boot").GetInt64());
        var ts = first.GetProperty("ts").GetString()!;
        Assert.EndsWith("Z", ts, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), ts);
        foreach (var field in (string[])["on", "level", "powerW", "energyWh"])
        {
            Assert.True(first.TryGetProperty(field, out _), $"telemetry lacks {field}: {telemetry[0].Payload}");
        }
    }

    [Fact]
    public async Task TelemetryWaitsForItsStartWhileTheDeviceIsAlreadyConnected()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        var start = new TaskCompletionSource();
        var options = RunningDevice.Options(broker.Endpoint) with { TelemetryStart = start.Task };
        await using var running = new RunningDevice(Lamp, options);
        var topic = "fleet/lamp/DU-L-000042/telemetry";

        await Eventually.True(() => running.Device.IsConnected, "the device to connect");
        await Task.Delay(options.TelemetryInterval * 5);
        Assert.Empty(broker.UplinksOn(topic));

        start.SetResult();
        await Eventually.True(() => broker.UplinksOn(topic).Count >= 2, "telemetry once started");
    }

    [Fact]
    public async Task ReportsItsStateBeforeSubscribingSoFleetSendsDesiredAgainstWhatItRuns()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, Lamp);

        var events = broker.Events.ToList();
        var reported = events.IndexOf("publish " + Reported(Lamp));
        Assert.InRange(reported, 0, events.IndexOf("subscribe fleet/lamp/DU-L-000042/desired") - 1);
        Assert.Contains("subscribe fleet/lamp/DU-L-000042/errors", events);
        Assert.Equal(
            ["on", "level", "firmware"],
            broker.UplinksOn(Reported(Lamp))[0].Json.EnumerateObject().Select(p => p.Name).Except(["seq", "boot", "ts"]));
    }

    [Fact]
    public async Task ReconnectsAfterTheServerDropsItAndNeverRepeatsASeq()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await Eventually.True(() => broker.UplinksOn(Telemetry(Lamp)).Count >= 2, "telemetry before the drop");
        var seqBefore = MaxSeq(broker);

        await broker.DropAsync(Lamp.UserName);

        await Eventually.True(() => broker.Connections.Count >= 2, "the device to reconnect");
        await Eventually.True(() => MaxSeq(broker) > seqBefore + 2, "telemetry after the reconnect");
        AssertStrictlyIncreasing(Reports(broker).Select(u => u.Seq));
        Assert.True(running.Device.Stats.Snapshot(DateTimeOffset.UtcNow).Reconnects >= 1);
    }

    [Fact]
    public async Task ResumesSeqAfterTheServerRestartsOnTheSamePort()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await Eventually.True(() => broker.UplinksOn(Telemetry(Lamp)).Count >= 2, "telemetry before the restart");

        await broker.StopAsync();
        var seqBefore = MaxSeq(broker);
        await Eventually.True(() => !running.Device.IsConnected, "the device to notice the server is gone");
        await broker.StartAsync();

        await Eventually.True(() => broker.Connections.Count >= 2, "the device to reconnect to the restarted server");
        await Eventually.True(() => MaxSeq(broker) > seqBefore, "telemetry after the restart");
        AssertStrictlyIncreasing(Reports(broker).Select(u => u.Seq));
    }

    [Fact]
    public async Task MovesToTheNextEndpointWhenItsSiloIsGone()
    {
        await using var first = await TestBroker.StartAsync(Lamp);
        await using var second = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(first.Endpoint, second.Endpoint));
        await Eventually.True(() => first.UplinksOn(Telemetry(Lamp)).Count >= 2, "telemetry to the first silo");

        await first.StopAsync();
        var seqOnFirst = MaxSeq(first);

        await Eventually.True(() => second.UplinksOn(Telemetry(Lamp)).Count >= 2, "telemetry to the second silo");
        Assert.Equal(second.Endpoint, running.Device.Endpoint);
        Assert.All(Reports(second), u => Assert.True(u.Seq > seqOnFirst, $"seq {u.Seq} on the second silo is not above {seqOnFirst}"));
        AssertStrictlyIncreasing(Reports(second).Select(u => u.Seq));
    }

    [Fact]
    public async Task SkipsAnEndpointWhereNothingListens()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(TestBroker.DeadEndpoint(), broker.Endpoint));

        await Eventually.True(() => broker.UplinksOn(Telemetry(Lamp)).Count >= 1, "telemetry via the second endpoint");
        Assert.True(running.Device.Stats.Snapshot(DateTimeOffset.UtcNow).ConnectFailures >= 1);
    }

    [Fact]
    public async Task AWrongSecretIsRefusedAndRetriedWithoutConnecting()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp with { Secret = "wrong" }, RunningDevice.Options(broker.Endpoint));

        await Eventually.True(() => running.Device.Stats.Snapshot(DateTimeOffset.UtcNow).AuthFailures >= 2, "two refused attempts");
        Assert.False(running.Device.IsConnected);
        Assert.Empty(broker.Uplinks);
    }

    [Fact]
    public async Task AnswersACommandWithSucceededAndCarriesItOut()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, Lamp);

        await broker.SendAsync("fleet/lamp/DU-L-000042/commands/c-1", """{"name": "dim", "args": {"level": 40}, "expiresAt": "2099-01-01T00:00:00Z"}""");

        var result = await Eventually.Found(() => broker.FirstOn(Result(Lamp, "c-1")), "the command's result");
        Assert.Equal("succeeded", result.Json.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(result.Json.GetProperty("detail").GetString()));
        Assert.Equal(40, running.Device.Inspect(model => ((Behaviour.LampModel)model).Level));
        await Eventually.True(
            () => broker.UplinksOn(Telemetry(Lamp)).Any(t => t.Json.GetProperty("level").GetDouble() == 40),
            "telemetry with level 40");
    }

    [Fact]
    public async Task AnswersFailedWhenTheSuccessRateIsZero()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        var options = RunningDevice.Options(broker.Endpoint) with { CommandSuccessRate = 0 };
        await using var running = new RunningDevice(Lamp, options);
        await WaitUntilSubscribedAsync(broker, Lamp);
        var levelBefore = running.Device.Inspect(model => ((Behaviour.LampModel)model).Level);

        await broker.SendAsync("fleet/lamp/DU-L-000042/commands/c-2", """{"name": "dim", "args": {"level": 7}}""");

        var result = await Eventually.Found(() => broker.FirstOn(Result(Lamp, "c-2")), "the command's result");
        Assert.Equal("failed", result.Json.GetProperty("status").GetString());
        Assert.Equal(levelBefore, running.Device.Inspect(model => ((Behaviour.LampModel)model).Level));
    }

    [Theory]
    [InlineData("""{"name": "explode"}""", "unknown command")]
    [InlineData("""{"name": "dim", "args": {"level": "high"}}""", "level")]
    [InlineData("""{"name": "dim", "args": {"level": 40}, "expiresAt": "2001-01-01T00:00:00Z"}""", "expired")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task RejectsWhatItCannotDo(string command, string detail)
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, Lamp);

        await broker.SendAsync("fleet/lamp/DU-L-000042/commands/bad", command);

        var result = await Eventually.Found(() => broker.FirstOn(Result(Lamp, "bad")), "the command's result");
        Assert.Equal("rejected", result.Json.GetProperty("status").GetString());
        Assert.Contains(detail, result.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswersARepeatedCommandAgainWithoutDoingItTwice()
    {
        var ap = new DeviceCredentials("wifi", "DU-W-0007", "ap-secret");
        await using var broker = await TestBroker.StartAsync(ap);
        await using var running = new RunningDevice(ap, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, ap);

        await broker.SendAsync("fleet/wifi/DU-W-0007/commands/c-3", """{"name": "enableSsid", "args": {"ssid": "Zoo-Guest"}}""");
        await Eventually.True(() => broker.UplinksOn(Result(ap, "c-3")).Count == 1, "the first result");
        await broker.SendAsync("fleet/wifi/DU-W-0007/commands/c-3", """{"name": "enableSsid", "args": {"ssid": "Zoo-Guest"}}""");

        await Eventually.True(() => broker.UplinksOn(Result(ap, "c-3")).Count == 2, "the repeated result");
        var results = broker.UplinksOn(Result(ap, "c-3"));
        Assert.Equal(results[0].Payload, results[1].Payload);
        Assert.Contains("enabled", results[0].Payload, StringComparison.Ordinal);
        Assert.Equal(1, running.Device.Stats.Snapshot(DateTimeOffset.UtcNow).CommandDuplicates);
    }

    [Fact]
    public async Task AnswersACommandResentAfterAReconnectFromMemoryWithoutDoingItTwice()
    {
        // Fleet re-sends a command whose result it missed, possibly on the device's next connection.
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, Lamp);
        await broker.SendAsync("fleet/lamp/DU-L-000042/commands/c-8", """{"name": "dim", "args": {"level": 30}}""");
        await Eventually.True(() => broker.UplinksOn(Result(Lamp, "c-8")).Count == 1, "the first result");

        await broker.DropAsync(Lamp.UserName);
        await Eventually.True(() => broker.Connections.Count >= 2 && broker.Subscriptions(Lamp.UserName, "fleet/lamp/DU-L-000042/commands/+") >= 2, "the device to come back");
        await broker.SendAsync("fleet/lamp/DU-L-000042/commands/c-9", """{"name": "dim", "args": {"level": 60}}""");
        await Eventually.True(() => broker.UplinksOn(Result(Lamp, "c-9")).Count == 1, "the new command's result");
        await broker.SendAsync("fleet/lamp/DU-L-000042/commands/c-8", """{"name": "dim", "args": {"level": 30}}""");

        await Eventually.True(() => broker.UplinksOn(Result(Lamp, "c-8")).Count == 2, "the repeated result");
        var results = broker.UplinksOn(Result(Lamp, "c-8"));
        Assert.Equal(results[0].Payload, results[1].Payload);
        Assert.Equal(60.0, running.Device.Inspect(model => ((Behaviour.LampModel)model).Level));
        Assert.Equal(1, running.Device.Stats.Snapshot(DateTimeOffset.UtcNow).CommandDuplicates);
        AssertStrictlyIncreasing(Reports(broker).Select(u => u.Seq));
    }

    [Fact]
    public async Task AppliesDesiredLevelAndReportsIt()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, Lamp);

        await broker.SendAsync("fleet/lamp/DU-L-000042/desired", """{"version": 3, "desired": {"on": true, "level": 35}, "delta": {"level": 35}}""");

        await Eventually.True(
            () => broker.UplinksOn(Reported(Lamp)).Any(r => r.Json.GetProperty("level").GetDouble() == 35 && r.Json.GetProperty("on").GetBoolean()),
            "reported state with on and level 35");
        var telemetry = await Eventually.Found(
            () => broker.UplinksOn(Telemetry(Lamp)).FirstOrDefault(t => t.Json.GetProperty("level").GetDouble() == 35),
            "telemetry at level 35");
        var power = telemetry.Json.GetProperty("powerW").GetDouble();
        Assert.InRange(power, 60 * 0.35 * 0.95, 60 * 0.35 * 1.05);
    }

    [Fact]
    public async Task BindsItsSocketToTheGivenSourceAddress()
    {
        await using var broker = await TestBroker.StartAsync(Lamp);
        var placement = new DevicePlacement(0, IPAddress.Parse("127.0.0.3"));
        await using var running = new RunningDevice(Lamp, RunningDevice.Options(broker.Endpoint), placement);

        var connection = await Eventually.Found(() => broker.FirstConnection, "the device to connect");

        Assert.StartsWith("127.0.0.3:", connection.RemoteEndPoint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RebootsOnCommandAndComesBackWithAFreshUptimeAndTheNextSeq()
    {
        var ap = new DeviceCredentials("wifi", "DU-W-0001", "ap-secret");
        await using var broker = await TestBroker.StartAsync(ap);
        await using var running = new RunningDevice(ap, RunningDevice.Options(broker.Endpoint));
        await WaitUntilSubscribedAsync(broker, ap);
        await Eventually.True(() => broker.UplinksOn(Telemetry(ap)).Count >= 1, "telemetry before the reboot");
        Assert.True(broker.UplinksOn(Telemetry(ap))[0].Json.GetProperty("uptimeS").GetInt64() >= 3600);

        await broker.SendAsync("fleet/wifi/DU-W-0001/commands/r-1", """{"name": "reboot"}""");

        var result = await Eventually.Found(() => broker.FirstOn(Result(ap, "r-1")), "the reboot's result");
        Assert.Equal("succeeded", result.Json.GetProperty("status").GetString());
        await Eventually.True(() => broker.Connections.Count >= 2, "the access point to come back");
        var fresh = await Eventually.Found(
            () => broker.UplinksOn(Telemetry(ap)).FirstOrDefault(t => t.Json.GetProperty("uptimeS").GetInt64() < 60),
            "telemetry with a fresh uptime");
        Assert.True(fresh.Seq > broker.UplinksOn(Telemetry(ap))[0].Seq);
        AssertStrictlyIncreasing(Reports(broker).Select(u => u.Seq));
    }

    [Fact]
    public async Task ConnectsAFleetWithBoundedConcurrency()
    {
        var devices = Enumerable.Range(1, 12).Select(i => new DeviceCredentials("meter", $"DU-M-{i:D6}", $"secret-{i}")).ToArray();
        await using var broker = await TestBroker.StartAsync(devices);
        broker.ValidationDelay = TimeSpan.FromMilliseconds(40);
        var options = RunningDevice.Options(broker.Endpoint) with { ConnectConcurrency = 3 };
        using var simulation = new Simulation(devices, options);
        using var stop = new CancellationTokenSource();
        var run = simulation.RunAsync(stop.Token);

        await Eventually.True(() => simulation.Stats.Snapshot(DateTimeOffset.UtcNow).Connected == 12, "all twelve meters to connect");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.InRange(broker.MaxConcurrentValidations, 1, 3);
        Assert.Equal(12, broker.Connections.Select(c => c.UserName).Distinct().Count());
        Assert.Equal(0, simulation.Stats.Snapshot(DateTimeOffset.UtcNow).Connected);
    }

    private static string Telemetry(DeviceCredentials device) => $"fleet/{device.Kind}/{device.Id}/telemetry";

    private static string Reported(DeviceCredentials device) => $"fleet/{device.Kind}/{device.Id}/reported";

    private static string Result(DeviceCredentials device, string commandId) => $"fleet/{device.Kind}/{device.Id}/commands/{commandId}/result";

    /// <summary>Downlinks reach the device once its commands subscription (the last of its filters) is in place.</summary>
    private static Task WaitUntilSubscribedAsync(TestBroker broker, DeviceCredentials device) =>
        Eventually.True(
            () => broker.Subscriptions(device.UserName, $"fleet/{device.Kind}/{device.Id}/commands/+") >= 1
                && broker.Subscriptions(device.UserName, $"fleet/{device.Kind}/{device.Id}/desired") >= 1,
            "the device to subscribe to its desired and commands topics");

    /// <summary>Telemetry and reported messages: the ones that carry seq (results do not).</summary>
    private static IEnumerable<Uplink> Reports(TestBroker broker) =>
        broker.Uplinks.Where(u => !u.Topic.EndsWith("/result", StringComparison.Ordinal));

    private static long MaxSeq(TestBroker broker) => Reports(broker).Select(u => u.Seq).DefaultIfEmpty(-1).Max();

    private static void AssertStrictlyIncreasing(IEnumerable<long> seqs)
    {
        var list = seqs.ToList();
        for (var i = 1; i < list.Count; i++)
        {
            Assert.True(list[i] > list[i - 1], $"seq {list[i]} follows {list[i - 1]}: [{string.Join(", ", list)}]");
        }
    }
}
