using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Commands;
using Fleet.Silo.Tests.Mqtt;
using static Fleet.Silo.Tests.Client.CliRunner;

namespace Fleet.Silo.Tests.Client;

/// <summary>fleet command send|get|cancel over the Orleans gateway, with MQTT test devices answering.</summary>
[Collection(MqttCollection.Name)]
public sealed class CommandCliTests(MqttHostFixture fixture)
{
    [Fact]
    public async Task SendWithWaitPrintsTheResultTheDeviceReports()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(fixture.Http);
        await using var device = await CommandLifecycleTests.ConnectAndSubscribeAsync(fixture.MqttPort, "lamp", id, secret);

        var send = RunAsync(fixture.Host, "command", "send", "lamp", id, "dim", "--arg", "level=40", "--wait", "20s", "--user", "anna");
        var received = await device.WaitForAsync(r => r.Topic.StartsWith(device.Prefix + "commands/", StringComparison.Ordinal), "the dim command");
        var commandId = received.Topic[(received.Topic.LastIndexOf('/') + 1)..];
        await device.PublishAsync($"commands/{commandId}/result", """{"status": "succeeded", "detail": "dimmed"}""");
        var (exit, output, error) = await send;

        Assert.True(exit == 0, error);
        var command = JsonNode.Parse(output)!;
        Assert.Equal(commandId, command["id"]!.GetValue<string>());
        Assert.Equal("succeeded", command["state"]!.GetValue<string>());
        Assert.Equal(40, command["args"]!["level"]!.GetValue<double>());
        Assert.Equal("dimmed", command["result"]!["detail"]!.GetValue<string>());
        Assert.Equal("cli:anna", command["requestedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task ACommandForAnOfflineLampIsQueuedReadAndCancelled()
    {
        var (id, _) = await Mqtt.Devices.ProvisionAsync(fixture.Http);

        var sent = JsonNode.Parse(await RunOkAsync(fixture.Host, "command", "send", "lamp", id, "switch", "--arg", "on=true", "--ttl", "60"))!;
        var commandId = sent["id"]!.GetValue<string>();
        Assert.Equal("queued", sent["state"]!.GetValue<string>());
        Assert.True(sent["args"]!["on"]!.GetValue<bool>());
        Assert.Equal(TimeSpan.FromSeconds(60), sent["expiresAt"]!.GetValue<DateTimeOffset>() - sent["createdAt"]!.GetValue<DateTimeOffset>());

        var read = JsonNode.Parse(await RunOkAsync(fixture.Host, "command", "get", "lamp", id, commandId))!;
        Assert.Equal("queued", read["state"]!.GetValue<string>());

        var cancelled = JsonNode.Parse(await RunOkAsync(fixture.Host, "command", "cancel", "lamp", id, commandId))!;
        Assert.Equal("cancelled", cancelled["state"]!.GetValue<string>());
        var http = await CommandsKit.GetAsync(fixture.Http, "lamp", id, commandId);
        Assert.Equal(["queued", "cancelled"], http.States());

        Assert.Contains(commandId, await RunFailingAsync(fixture.Host, "command", "cancel", "lamp", id, commandId), StringComparison.Ordinal);
        Assert.Contains("no command", await RunFailingAsync(fixture.Host, "command", "get", "lamp", id, "nope"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("level", "command", "send", "lamp", "{id}", "dim", "--arg", "level=400")]
    [InlineData("fly", "command", "send", "lamp", "{id}", "fly")]
    [InlineData("--wait", "command", "send", "lamp", "{id}", "dim", "--arg", "level=40", "--wait", "soon")]
    [InlineData("--ttl", "command", "send", "lamp", "{id}", "dim", "--arg", "level=40", "--ttl", "0")]
    [InlineData("streetlight", "command", "get", "streetlight", "{id}", "c-1")]
    public async Task ABadCommandIsRefusedWithAMessageAndNothingIsQueued(string named, params string[] args)
    {
        var (id, _) = await Mqtt.Devices.ProvisionAsync(fixture.Http);

        var error = await RunFailingAsync(fixture.Host, [.. args.Select(arg => arg.Replace("{id}", id, StringComparison.Ordinal))]);

        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Empty(await CommandsKit.ListAsync(fixture.Http, "lamp", id));
    }
}
