using Fleet.Silo.Tests.Mqtt;
using static Fleet.Silo.Tests.Commands.CommandsKit;

namespace Fleet.Silo.Tests.Commands;

/// <summary>Commands across silo restarts and silent devices, each on its own host.</summary>
public sealed class CommandRecoveryTests
{
    [Fact]
    public async Task AQueuedCommandSurvivesARestartAndIsDeliveredWhenTheDeviceConnects()
    {
        await using var host = MqttTestHost.Create();
        await host.StartAsync();
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(host.Http);
        var command = await SendAsync(host.Http, "lamp", id, """{"name": "dim", "args": {"level": 35}}""");

        await host.RestartAsync();
        await using var device = await CommandLifecycleTests.ConnectAndSubscribeAsync(host.MqttPort(), "lamp", id, secret);

        await device.WaitForAsync(r => r.Topic.EndsWith(command.Id(), StringComparison.Ordinal), "the command accepted before the restart");
        await device.PublishAsync($"commands/{command.Id()}/result", """{"status": "succeeded"}""");
        var done = await WaitForStateAsync(host.Http, "lamp", id, command.Id(), "succeeded");
        Assert.Equal(["queued", "sent", "succeeded"], done.States());
    }

    [Fact]
    public async Task ACommandSentBeforeARestartIsSentAgainAfterItAndClosedOnce()
    {
        await using var host = MqttTestHost.Create();
        await host.StartAsync();
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(host.Http);
        string commandId;
        await using (var before = await CommandLifecycleTests.ConnectAndSubscribeAsync(host.MqttPort(), "lamp", id, secret))
        {
            commandId = (await SendAsync(host.Http, "lamp", id, """{"name": "switch", "args": {"on": true}}""")).Id();
            await before.WaitForAsync(r => r.Topic.EndsWith(commandId, StringComparison.Ordinal), "the command before the restart");
            await WaitForStateAsync(host.Http, "lamp", id, commandId, "sent");
        }

        await host.RestartAsync();
        await using var after = await CommandLifecycleTests.ConnectAndSubscribeAsync(host.MqttPort(), "lamp", id, secret);
        var again = await after.WaitForAsync(r => r.Topic.EndsWith(commandId, StringComparison.Ordinal), "the unanswered command again after the restart");
        await after.PublishAsync($"commands/{commandId}/result", """{"status": "succeeded"}""");
        await after.PublishAsync($"commands/{commandId}/result", """{"status": "succeeded"}""");

        var done = await WaitForStateAsync(host.Http, "lamp", id, commandId, "succeeded");
        Assert.Equal("switch", again.Json["name"]!.GetValue<string>());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.Equal(["queued", "sent", "sent", "succeeded"], done.States());
    }

    [Fact]
    public async Task ACommandThatIsNeverAnsweredIsSentAgainThenFailed()
    {
        await using var host = MqttTestHost.Create(new Dictionary<string, string>
        {
            ["Fleet:Commands:ResultTimeout"] = "00:00:01",
            ["Fleet:Commands:MaxAttempts"] = "2",
        });
        await host.StartAsync();
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(host.Http);
        await using var device = await CommandLifecycleTests.ConnectAndSubscribeAsync(host.MqttPort(), "lamp", id, secret);

        var command = await SendAsync(host.Http, "lamp", id, """{"name": "blink", "args": {"seconds": 3}}""");
        var failed = await WaitForStateAsync(host.Http, "lamp", id, command.Id(), "failed", TimeSpan.FromSeconds(20));

        Assert.Equal(["queued", "sent", "sent", "failed"], failed.States());
        Assert.Equal(2, device.ReceivedSoFar.Count(r => r.Topic.EndsWith(command.Id(), StringComparison.Ordinal)));
        Assert.Equal("no result after 2 attempts", failed["transitions"]![3]!["detail"]!.GetValue<string>());
    }
}
