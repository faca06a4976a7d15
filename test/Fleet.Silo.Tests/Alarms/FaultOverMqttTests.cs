using Fleet.Silo.Tests.Events;
using Fleet.Silo.Tests.Hosting;
using Fleet.Silo.Tests.Mqtt;

namespace Fleet.Silo.Tests.Alarms;

/// <summary>
/// Issue 5's acceptance path end to end: a fault a device reports over MQTT shows up as a live
/// event and an active alarm, and clears when the device reports healthy again.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class FaultOverMqttTests(MqttHostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task ALeakReportedOverMqttOpensAnAlarmAndAnEventThenClears()
    {
        var (id, secret) = await Mqtt.Devices.ProvisionAsync(Host.Http, "meter");
        await using var events = await SseClient.OpenAsync(Host.Http, $"/api/events?device={id}&types=alarmOpened,alarmCleared");
        await using var meter = await TestDevice.ConnectAsync(Host.MqttPort(), "meter", id, secret);

        await meter.PublishAsync("telemetry", """{"seq": 1, "register": 10.5, "leak": true}""");

        var opened = await events.WaitForAsync(record => record.Event == "alarmOpened", "the alarmOpened event", TimeSpan.FromSeconds(10));
        Assert.Contains("leak", opened.Data, StringComparison.Ordinal);
        Assert.Equal("active", await AlarmStateAsync(id));

        await meter.PublishAsync("telemetry", """{"seq": 2, "register": 10.6, "leak": false}""");

        await events.WaitForAsync(record => record.Event == "alarmCleared", "the alarmCleared event", TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(async () => await AlarmStateAsync(id) == "cleared", "the leak alarm to be cleared", TimeSpan.FromSeconds(10));
    }

    private async Task<string?> AlarmStateAsync(string id)
    {
        using var response = await Host.Http.GetAsync($"/api/alarms?deviceId={id}");
        var alarms = (await Api.ApiTestKit.ReadJsonAsync(response))["alarms"]!.AsArray();
        return alarms.Count == 0 ? null : alarms[0]!["state"]!.GetValue<string>();
    }
}
