using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>A message a test device received.</summary>
internal sealed record Received(string Topic, string Payload, MqttQualityOfServiceLevel Qos)
{
    public JsonNode Json => JsonNode.Parse(Payload) ?? throw new InvalidOperationException("empty payload");
}

/// <summary>An MQTTnet client acting as one device; records what it receives and how it was disconnected.</summary>
internal sealed class TestDevice : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Received> _received = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestDevice(IMqttClient client, string kind, string id)
    {
        Client = client;
        Kind = kind;
        Id = id;
        client.ApplicationMessageReceivedAsync += e =>
        {
            lock (_lock)
            {
                _received.Add(new Received(e.ApplicationMessage.Topic, e.ApplicationMessage.ConvertPayloadToString(), e.ApplicationMessage.QualityOfServiceLevel));
                _arrived.TrySetResult();
                _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected)
            {
                Disconnected.TrySetResult(e);
            }

            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public string Kind { get; }

    public string Id { get; }

    public string Prefix => $"fleet/{Kind}/{Id}/";

    public MqttClientConnectResult? ConnectResult { get; private set; }

    public TaskCompletionSource<MqttClientDisconnectedEventArgs> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<Received> ReceivedSoFar
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    public static MqttClientOptionsBuilder Options(int port, string kind, string id, string secret, string? clientId = null, MqttProtocolVersion protocol = MqttProtocolVersion.V500) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId ?? $"{kind}-{id}-{Guid.NewGuid():N}"[..40])
            .WithCredentials($"{kind}/{id}", secret)
            .WithProtocolVersion(protocol)
            .WithTimeout(TimeSpan.FromSeconds(10));

    /// <summary>Connects and asserts success.</summary>
    public static async Task<TestDevice> ConnectAsync(int port, string kind, string id, string secret, string? clientId = null, MqttProtocolVersion protocol = MqttProtocolVersion.V500)
    {
        var device = await TryConnectAsync(Options(port, kind, id, secret, clientId, protocol).Build(), kind, id);
        Assert.Equal(MqttClientConnectResultCode.Success, device.ConnectResult!.ResultCode);
        return device;
    }

    /// <summary>Connects and returns the device whatever the CONNACK said.</summary>
    public static async Task<TestDevice> TryConnectAsync(MqttClientOptions options, string kind, string id)
    {
        var device = new TestDevice(new MqttClientFactory().CreateMqttClient(), kind, id);
        device.ConnectResult = await device.Client.ConnectAsync(options);
        return device;
    }

    public Task<MqttClientPublishResult> PublishAsync(string suffix, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        PublishToAsync(Prefix + suffix, Encoding.UTF8.GetBytes(payload), qos);

    public Task<MqttClientPublishResult> PublishToAsync(string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        PublishToAsync(topic, Encoding.UTF8.GetBytes(payload), qos);

    public Task<MqttClientPublishResult> PublishToAsync(string topic, byte[] payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        Client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build());

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        var result = await Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return Assert.Single(result.Items).ResultCode;
    }

    /// <summary>Waits for a received message (one already received counts) that matches.</summary>
    public async Task<Received> WaitForAsync(Func<Received, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task arrived;
            lock (_lock)
            {
                if (_received.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                arrived = _arrived.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(arrived, Task.Delay(left)) != arrived)
            {
                Assert.Fail($"{Kind}/{Id} did not receive {what}; it received: {string.Join(" | ", ReceivedSoFar.Select(r => r.Topic + " " + r.Payload))}");
            }
        }
    }

    /// <summary>The next error the device is sent about a message on this topic.</summary>
    public Task<Received> WaitForErrorAsync(string topic, string code) =>
        WaitForAsync(
            r => r.Topic == Prefix + "errors" && (string?)r.Json["topic"] == topic && (string?)r.Json["code"] == code,
            $"an error '{code}' about {topic}");

    public Task<Received> WaitForDesiredAsync(Func<JsonNode, bool> match) =>
        WaitForAsync(r => r.Topic == Prefix + "desired" && match(r.Json), "a matching desired document");

    public async Task<MqttClientDisconnectedEventArgs> WaitForDisconnectAsync(TimeSpan? timeout = null)
    {
        var disconnected = Disconnected.Task;
        if (await Task.WhenAny(disconnected, Task.Delay(timeout ?? TimeSpan.FromSeconds(10))) != disconnected)
        {
            Assert.Fail($"{Kind}/{Id} was not disconnected.");
        }

        return await disconnected;
    }

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            try
            {
                await Client.DisconnectAsync();
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // Already going away.
            }
        }

        Client.Dispose();
    }
}

/// <summary>Provisioning and twin reads through the HTTP API.</summary>
internal static class Devices
{
    public static string NewId(string prefix = "MQ") => $"{prefix}-{Guid.NewGuid():N}"[..20];

    public static async Task<(string Id, string Secret)> ProvisionAsync(HttpClient http, string kind = "lamp")
    {
        var id = NewId(kind switch { "lamp" => "DU-L", "parking" => "DU-P", "wifi" => "DU-W", _ => "DU-M" });
        object metadata = kind switch
        {
            "lamp" => new { borough = "Mitte", lat = 51.43, lon = 6.76, ratedWatts = 60 },
            "meter" => new { borough = "Mitte", lat = 51.43, lon = 6.76, medium = "water" },
            _ => new { borough = "Mitte", lat = 51.43, lon = 6.76 },
        };
        using var response = await http.PostAsJsonAsync("/api/devices", new { kind, id, metadata });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (id, body["secret"]!.GetValue<string>());
    }

    public static async Task<JsonNode> TwinAsync(HttpClient http, string kind, string id)
    {
        using var response = await http.GetAsync($"/api/devices/{kind}/{id}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public static async Task<bool> IsOnlineAsync(HttpClient http, string kind, string id) =>
        (await TwinAsync(http, kind, id))["connectivity"]!["online"]!.GetValue<bool>();

    public static async Task<JsonNode> PatchDesiredAsync(HttpClient http, string kind, string id, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/devices/{kind}/{id}/desired")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/merge-patch+json"),
        };
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Polls the twin until the condition holds, with a deadline.</summary>
    public static async Task<JsonNode> WaitForTwinAsync(HttpClient http, string kind, string id, Func<JsonNode, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var twin = await TwinAsync(http, kind, id);
            if (condition(twin))
            {
                return twin;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}; the twin is {twin.ToJsonString()}");
            }

            await Task.Delay(50);
        }
    }
}
