using System.Net;
using System.Net.Http.Json;
using Fleet.Silo.Tests.Mqtt;
using static Fleet.Silo.Tests.Commands.CommandsKit;

namespace Fleet.Silo.Tests.Commands;

/// <summary>Commands through the real HTTP API and the real MQTT gateway, answered by MQTTnet test devices.</summary>
[Collection(MqttCollection.Name)]
public sealed class CommandLifecycleTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task ACommandGoesQueuedSentSucceededWithEveryTransitionTimestamped()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http);
        await using var device = await ConnectAsync(id, secret);

        var command = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 40}}""");
        var received = await device.WaitForAsync(r => r.Topic == device.Prefix + "commands/" + command.Id(), "the dim command");
        await device.PublishAsync($"commands/{command.Id()}/result", """{"status": "succeeded", "detail": "dimmed"}""");
        var done = await WaitForStateAsync(Http, "lamp", id, command.Id(), "succeeded");

        Assert.Equal("dim", received.Json["name"]!.GetValue<string>());
        Assert.Equal(40, received.Json["args"]!["level"]!.GetValue<double>());
        Assert.Equal(command["expiresAt"]!.GetValue<DateTimeOffset>(), received.Json["expiresAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(["queued", "sent", "succeeded"], done.States());
        var times = done["transitions"]!.AsArray().Select(t => t!["at"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        Assert.Equal("dimmed", done["result"]!["detail"]!.GetValue<string>());
        Assert.Equal(command["expiresAt"]!.GetValue<DateTimeOffset>() - command["createdAt"]!.GetValue<DateTimeOffset>(), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task FailedAndRejectedResultsCloseTheCommandAsTheDeviceSays()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http, "wifi");
        await using var device = await ConnectAsync(id, secret, "wifi");

        var reboot = await SendAsync(Http, "wifi", id, """{"name": "reboot"}""");
        var channel = await SendAsync(Http, "wifi", id, """{"name": "setChannel", "args": {"channel": 11}}""");
        await device.WaitForAsync(r => r.Topic.EndsWith(channel.Id(), StringComparison.Ordinal), "the setChannel command");
        await device.PublishAsync($"commands/{reboot.Id()}/result", """{"status": "failed", "detail": "watchdog"}""");
        await device.PublishAsync($"commands/{channel.Id()}/result", """{"status": "rejected", "detail": "channel not allowed here"}""");

        Assert.Equal("watchdog", (await WaitForStateAsync(Http, "wifi", id, reboot.Id(), "failed"))["result"]!["detail"]!.GetValue<string>());
        Assert.Equal("rejected", (await WaitForStateAsync(Http, "wifi", id, channel.Id(), "rejected")).State());
    }

    [Fact]
    public async Task CommandsForAnOfflineDeviceWaitAndArriveInOrderWhenItConnects()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http);
        var first = await SendAsync(Http, "lamp", id, """{"name": "switch", "args": {"on": true}}""");
        var second = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 20}}""");
        var third = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 70}}""");
        Assert.All(await ListAsync(Http, "lamp", id), command => Assert.Equal("queued", command!.State()));

        await using var device = await ConnectAsync(id, secret);
        await device.WaitForAsync(r => r.Topic.EndsWith(third.Id(), StringComparison.Ordinal), "the third command");

        var order = device.ReceivedSoFar.Where(r => r.Topic.Contains("/commands/", StringComparison.Ordinal)).Select(r => r.Topic[(r.Topic.LastIndexOf('/') + 1)..]).ToList();
        Assert.Equal([first.Id(), second.Id(), third.Id()], order);
        foreach (var command in new[] { first, second, third })
        {
            await device.PublishAsync($"commands/{command.Id()}/result", """{"status": "succeeded"}""");
            await WaitForStateAsync(Http, "lamp", id, command.Id(), "succeeded");
        }
    }

    [Fact]
    public async Task AQueuedCommandWhoseTtlRunsOutEndsExpired()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http);
        var command = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 40}, "ttlSeconds": 1}""");

        var expired = await WaitForStateAsync(Http, "lamp", id, command.Id(), "expired");

        Assert.Equal(["queued", "expired"], expired.States());
        Assert.Equal(expired["expiresAt"]!.GetValue<DateTimeOffset>(), expired["transitions"]![1]!["at"]!.GetValue<DateTimeOffset>());
        await using var device = await ConnectAsync(id, secret);
        await Mqtt.Devices.WaitForTwinAsync(Http, "lamp", id, twin => twin["connectivity"]!["online"]!.GetValue<bool>(), "the lamp to be online");
        Assert.DoesNotContain(device.ReceivedSoFar, r => r.Topic.Contains("/commands/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARepeatedResultChangesNothingAndAnUnknownCommandIdIsAnsweredOnTheErrorsTopic()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http);
        await using var device = await ConnectAsync(id, secret);
        var command = await SendAsync(Http, "lamp", id, """{"name": "blink", "args": {"seconds": 10}}""");
        await device.WaitForAsync(r => r.Topic.EndsWith(command.Id(), StringComparison.Ordinal), "the blink command");

        await device.PublishAsync($"commands/{command.Id()}/result", """{"status": "succeeded"}""");
        var done = await WaitForStateAsync(Http, "lamp", id, command.Id(), "succeeded");
        var again = await device.PublishAsync($"commands/{command.Id()}/result", """{"status": "failed"}""");
        var unknown = await device.PublishAsync("commands/no-such-command/result", """{"status": "succeeded"}""");

        Assert.True(again.IsSuccess);
        Assert.True(unknown.IsSuccess);
        await device.WaitForErrorAsync(device.Prefix + "commands/no-such-command/result", "unknownCommand");
        var after = await GetAsync(Http, "lamp", id, command.Id());
        Assert.Equal(done.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task AQueuedCommandCanBeCancelledButASentOneCannot()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http);
        var queued = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 10}}""");

        using var cancel = await Http.DeleteAsync($"/api/devices/lamp/{id}/commands/{queued.Id()}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(["queued", "cancelled"], (await GetAsync(Http, "lamp", id, queued.Id())).States());

        await using var device = await ConnectAsync(id, secret);
        var sent = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 30}}""");
        await WaitForStateAsync(Http, "lamp", id, sent.Id(), "sent");
        using var tooLate = await Http.DeleteAsync($"/api/devices/lamp/{id}/commands/{sent.Id()}");
        Assert.Equal(HttpStatusCode.Conflict, tooLate.StatusCode);
        Assert.Contains("already sent", await tooLate.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(device.ReceivedSoFar, r => r.Topic.EndsWith(queued.Id(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lamp", """{"name": "explode"}""", "'explode' is not a lamp command")]
    [InlineData("lamp", """{"name": "dim", "args": {"level": 140}}""", "level")]
    [InlineData("lamp", """{"name": "dim"}""", "needs the argument 'level'")]
    [InlineData("lamp", """{"name": "dim", "args": {"level": 40, "colour": "red"}}""", "no argument 'colour'")]
    [InlineData("lamp", """{"name": "dim", "args": {"level": 40}, "ttlSeconds": 700000}""", "TTL")]
    [InlineData("parking", """{"name": "reserve", "args": {"until": "tomorrow"}}""", "until")]
    [InlineData("meter", """{"name": "setInterval", "args": {"seconds": 5}}""", "seconds")]
    public async Task AnUnknownCommandOrABadArgumentIs400NamingTheProblemAndNothingIsQueued(string kind, string json, string named)
    {
        var (id, _) = await Mqtt.Devices.ProvisionAsync(Http, kind);

        var (status, body) = await PostAsync(Http, kind, id, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(named, body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await ListAsync(Http, kind, id));
    }

    [Fact]
    public async Task AValveCommandIsRefusedForAnElectricityMeter()
    {
        var id = Mqtt.Devices.NewId("DU-M");
        using var created = await Http.PostAsJsonAsync("/api/devices", new { kind = "meter", id, metadata = new { borough = "Mitte", lat = 51.43, lon = 6.76, medium = "electricity" } });
        created.EnsureSuccessStatusCode();

        var (status, body) = await PostAsync(Http, "meter", id, """{"name": "valve", "args": {"open": false}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("only to water and gas meters", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACommandForAnUnknownDeviceIs404()
    {
        var (status, _) = await PostAsync(Http, "lamp", Mqtt.Devices.NewId("DU-L"), """{"name": "blink", "args": {"seconds": 5}}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task ARepeatedPostWithTheSameIdReturnsTheSameCommandAndQueuesNothingNew()
    {
        var (id, _) = await Mqtt.Devices.ProvisionAsync(Http);

        var first = await SendAsync(Http, "lamp", id, """{"id": "op-42", "name": "dim", "args": {"level": 40}}""");
        var again = await SendAsync(Http, "lamp", id, """{"id": "op-42", "name": "dim", "args": {"level": 40}}""");

        Assert.Equal("op-42", first.Id());
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Single(await ListAsync(Http, "lamp", id));
    }

    [Fact]
    public async Task WaitReturns202WithTheOpenCommandWhenNoResultComesInTime()
    {
        var (id, _) = await Mqtt.Devices.ProvisionAsync(Http);

        var (status, body) = await PostAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 40}}""", wait: "300ms");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("queued", body.State());
    }

    [Fact]
    public async Task EveryTransitionIsALiveCommandChangedEvent()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Http);
        await using var events = await Events.SseClient.OpenAsync(Http, $"/api/events?device={id}&types=commandChanged");
        await using var device = await ConnectAsync(id, secret);

        var command = await SendAsync(Http, "lamp", id, """{"name": "dim", "args": {"level": 15}}""");
        await device.WaitForAsync(r => r.Topic.EndsWith(command.Id(), StringComparison.Ordinal), "the dim command");
        await device.PublishAsync($"commands/{command.Id()}/result", """{"status": "succeeded"}""");

        foreach (var state in new[] { "queued", "sent", "succeeded" })
        {
            var record = await events.WaitForAsync(r => r.Data is not null && (string?)r.Json["command"]?["state"] == state, $"a commandChanged event for {state}");
            Assert.Equal(command.Id(), record.Json["command"]!["commandId"]!.GetValue<string>());
            Assert.Equal("dim", record.Json["command"]!["name"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task WithoutAKeyACommandIs401AndTheRoleDecidesWhichCommandsAKeyMaySend()
    {
        var (id, _) = await Mqtt.Devices.ProvisionAsync(Http);
        using var anonymous = new HttpClient { BaseAddress = Http.BaseAddress };
        var integration = await fixture.Host.ClientWithRoleAsync("integration");
        var maintenance = await fixture.Host.ClientWithRoleAsync("maintenance");
        const string Blink = """{"name": "blink", "args": {"seconds": 5}}""";

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(anonymous, "lamp", id, Blink)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(integration, "lamp", id, Blink)).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(maintenance, "lamp", id, Blink)).Status);
        var (status, body) = await PostAsync(maintenance, "lamp", id, """{"name": "dim", "args": {"level": 40}}""");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("operator", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(await ListAsync(Http, "lamp", id));
    }

    private Task<TestDevice> ConnectAsync(string id, string secret, string kind = "lamp") => ConnectAndSubscribeAsync(fixture.MqttPort, kind, id, secret);

    internal static async Task<TestDevice> ConnectAndSubscribeAsync(int port, string kind, string id, string secret)
    {
        var device = await TestDevice.ConnectAsync(port, kind, id, secret);
        await device.SubscribeAsync(device.Prefix + "commands/+");
        await device.SubscribeAsync(device.Prefix + "errors");
        return device;
    }
}
