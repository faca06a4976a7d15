using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Fleet.Silo.Mqtt;
using Fleet.Silo.Tests.Hosting;
using MQTTnet.Protocol;
using MQTTnet;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>The gateway as part of the host: listeners, limits, settings, shutdown, metrics.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttHostingTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task MqttOverWebSocketWorksOnTheHttpPort()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var options = new MqttClientOptionsBuilder()
            .WithWebSocketServer(ws => ws.WithUri($"ws://127.0.0.1:{fixture.Host.HttpPort}/mqtt"))
            .WithClientId("ws-" + Guid.NewGuid().ToString("N"))
            .WithCredentials($"lamp/{id}", secret)
            .Build();

        await using var device = await TestDevice.TryConnectAsync(options, "lamp", id);
        Assert.Equal(MqttClientConnectResultCode.Success, device.ConnectResult!.ResultCode);

        var result = await device.PublishAsync("telemetry", """{"seq": 1, "level": 88}""");
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        Assert.Equal(88, (await Devices.TwinAsync(Http, "lamp", id))["reported"]!["level"]!.GetValue<double>());
        await Devices.PatchDesiredAsync(Http, "lamp", id, """{"level": 5}""");
        await device.WaitForDesiredAsync(doc => doc["desired"]!["level"]!.GetValue<double>() == 5);
    }

    [Fact]
    public async Task TheRateLimitRejectsTheExcessWithQuotaExceededAndKeepsTheDeviceConnected()
    {
        // Defaults: 10 messages per second sustained, bursts of 20.
        await using var host = MqttTestHost.Create();
        await host.StartAsync();
        var (id, secret) = await Devices.ProvisionAsync(host.Http);
        await using var device = await TestDevice.ConnectAsync(host.MqttPort(), "lamp", id, secret);

        var results = await Task.WhenAll(Enumerable.Range(1, 60).Select(seq => device.PublishAsync("telemetry", $$"""{"seq": {{seq}}, "level": 1}""")));

        var accepted = results.Count(r => r.ReasonCode == MqttClientPublishReasonCode.Success);
        var refused = results.Count(r => r.ReasonCode == MqttClientPublishReasonCode.QuotaExceeded);
        Assert.Equal(60, accepted + refused);
        Assert.True(accepted >= 20, $"the burst of 20 should pass, {accepted} did");
        Assert.True(refused > 0, "some of 60 messages at once should exceed the limit");
        await device.WaitForErrorAsync(device.Prefix + "telemetry", "rateLimited");
        Assert.True(device.Client.IsConnected);

        // The bucket refills: a later message is accepted again.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var seq = 100;
        while ((await device.PublishAsync("telemetry", $$"""{"seq": {{seq++}}, "level": 2}""")).ReasonCode != MqttClientPublishReasonCode.Success)
        {
            Assert.True(DateTime.UtcNow < deadline, "the rate limit never let a message through again");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task StoppingTheHostClosesDeviceConnectionsPromptlyAndTheTwinsGoOffline()
    {
        await using var host = MqttTestHost.Create();
        await host.StartAsync();
        var (id, secret) = await Devices.ProvisionAsync(host.Http);
        using var device = await RawMqttClient.ConnectAsync(host.MqttPort(), "lamp/" + id, secret);
        await Devices.WaitForTwinAsync(host.Http, "lamp", id, twin => twin["connectivity"]!["online"]!.GetValue<bool>(), "online");
        var reason = device.ReadDisconnectReasonAsync(TimeSpan.FromSeconds(30));

        // Without stopping MQTT first, Kestrel would wait its whole 30 s shutdown timeout.
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal((int)MqttDisconnectReasonCode.ServerShuttingDown, await reason);
        await host.StartAsync();
        Assert.False(await Devices.IsOnlineAsync(host.Http, "lamp", id));
    }

    [Fact]
    public async Task TheTlsListenerServesMqttWithTheConfiguredCertificate()
    {
        var directory = Directory.CreateTempSubdirectory("fleet-tls-");
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var path = Path.Combine(directory.FullName, "server.pfx");
            await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "s3cret"));
            var tlsPort = FleetHost.FreePort();
            await using var host = MqttTestHost.Create(new Dictionary<string, string>
            {
                ["Fleet:Mqtt:TlsPort"] = tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Fleet:Mqtt:CertificatePath"] = path,
                ["Fleet:Mqtt:CertificatePassword"] = "s3cret",
            });
            await host.StartAsync();
            var (id, secret) = await Devices.ProvisionAsync(host.Http);
            var options = TestDevice.Options(tlsPort, "lamp", id, secret)
                .WithTlsOptions(tls => tls.UseTls().WithCertificateValidationHandler(_ => true))
                .Build();

            await using var device = await TestDevice.TryConnectAsync(options, "lamp", id);

            Assert.Equal(MqttClientConnectResultCode.Success, device.ConnectResult!.ResultCode);
            Assert.Equal(MqttClientPublishReasonCode.Success, (await device.PublishAsync("telemetry", """{"seq": 1, "level": 3}""")).ReasonCode);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("Fleet:Mqtt:Port", "70000")]
    [InlineData("Fleet:Mqtt:MaxPayloadBytes", "0")]
    [InlineData("Fleet:Mqtt:MessagesPerSecond", "0")]
    [InlineData("Fleet:Mqtt:Burst", "0")]
    [InlineData("Fleet:Mqtt:BindAddress", "not-an-address")]
    [InlineData("Fleet:Mqtt:WebSocketPath", "mqtt")]
    [InlineData("Fleet:Mqtt:CertificatePath", "")]
    public void ABadSettingStopsTheStartAndNamesTheSetting(string setting, string value)
    {
        var directory = Path.Combine(Path.GetTempPath(), "fleet-bad-" + Guid.NewGuid().ToString("N"));
        string[] args = [$"--Fleet:DataDirectory={directory}", "--Fleet:Demo:Enabled=false", $"--{setting}={value}", .. setting.EndsWith("CertificatePath", StringComparison.Ordinal) ? ["--Fleet:Mqtt:TlsPort=8883"] : Array.Empty<string>()];
        try
        {
            var exception = Assert.Throws<OptionsValidationException>(() => FleetApp.Build(args));
            Assert.Contains(setting, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task TheGatewayReportsConnectionsMessagesRejectionsAndRoutingTime()
    {
        var measured = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MqttMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (measured)
            {
                measured.Add((instrument.Name, value, copy));
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        var (id, secret) = await Devices.ProvisionAsync(Http);
        await using (var device = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret))
        {
            await device.PublishAsync("telemetry", """{"seq": 1, "level": 20}""");
            await device.PublishAsync("telemetry", "not json");
            await device.WaitForErrorAsync(device.Prefix + "telemetry", "invalidPayload");
        }

        List<(string Instrument, double Value, Dictionary<string, object?> Tags)> seen;
        lock (measured)
        {
            seen = [.. measured];
        }

        Assert.Contains(seen, m => m.Instrument == "fleet.mqtt.connections" && m.Value == 1);
        Assert.Contains(seen, m => m.Instrument == "fleet.mqtt.messages.in" && (string?)m.Tags["channel"] == "telemetry");
        Assert.Contains(seen, m => m.Instrument == "fleet.mqtt.messages.rejected" && (string?)m.Tags["reason"] == "invalidPayload");
        Assert.Contains(seen, m => m.Instrument == "fleet.mqtt.messages.out" && (string?)m.Tags["channel"] == "errors");
        Assert.Contains(seen, m => m.Instrument == "fleet.mqtt.routing.duration" && m.Value > 0);
    }
}
