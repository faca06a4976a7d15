using MQTTnet.Server;

namespace Fleet.Silo.Tests.Mqtt;

[Collection(MqttCollection.Name)]
public sealed class MqttTakeoverTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task ASecondConnectionWithAnotherClientIdTakesOver()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using var first = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret, "first-" + Guid.NewGuid().ToString("N"));
        var firstHandled = DisconnectHandled(first.Client.Options.ClientId);

        await using var second = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret, "second-" + Guid.NewGuid().ToString("N"));

        await first.WaitForDisconnectAsync();

        // The gateway has told the twin that the first session ended; the twin ignored it.
        await firstHandled;
        Assert.True(await Devices.IsOnlineAsync(Http, "lamp", id));

        // The twin now talks to the second connection.
        await Devices.PatchDesiredAsync(Http, "lamp", id, """{"level": 25}""");
        await second.WaitForDesiredAsync(doc => doc["desired"]!["level"]!.GetValue<double>() == 25);
        var published = await second.PublishAsync("telemetry", """{"seq": 1, "level": 25}""");
        Assert.True(published.IsSuccess);
        Assert.True(second.Client.IsConnected);
    }

    [Fact]
    public async Task ASecondConnectionWithTheSameClientIdTakesOver()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var clientId = "same-" + Guid.NewGuid().ToString("N");
        await using var first = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret, clientId);

        await using var second = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret, clientId);

        await first.WaitForDisconnectAsync();
        await Devices.PatchDesiredAsync(Http, "lamp", id, """{"on": true}""");
        await second.WaitForDesiredAsync(doc => doc["desired"]!["on"]!.GetValue<bool>());
        Assert.True(await Devices.IsOnlineAsync(Http, "lamp", id));
    }

    [Fact]
    public async Task TheTakenOverConnectionIsToldWhyInMqtt5()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        using var first = await RawMqttClient.ConnectAsync(fixture.MqttPort, "lamp/" + id, secret);

        await using var second = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);

        Assert.Equal((int)MQTTnet.Protocol.MqttDisconnectReasonCode.SessionTakenOver, await first.ReadDisconnectReasonAsync());
        Assert.True(await Devices.IsOnlineAsync(Http, "lamp", id));
    }

    /// <summary>Completes when the gateway's own disconnect handler for this client has run (handlers run in order).</summary>
    private Task DisconnectHandled(string clientId)
    {
        var server = fixture.Host.Service<MqttServer>();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task OnDisconnected(ClientDisconnectedEventArgs e)
        {
            if (e.ClientId == clientId)
            {
                handled.TrySetResult();
                server.ClientDisconnectedAsync -= OnDisconnected;
            }

            return Task.CompletedTask;
        }

        server.ClientDisconnectedAsync += OnDisconnected;
        return handled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
