using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Simulator.Tests;

/// <summary>
/// An in-process MQTTnet server on a free 127.0.0.1 port that plays Fleet's part: it checks
/// user name {kind}/{id} and the device secret, records every connection and uplink, and sends
/// downlinks through the devices' own subscriptions. It can drop a device or stop and start again
/// on the same port.
/// </summary>
public sealed class TestBroker : IAsyncDisposable
{
    private static readonly MqttServerFactory Factory = new();

    private readonly Dictionary<string, string> _secrets;
    private readonly ConcurrentQueue<Uplink> _uplinks = new();
    private readonly ConcurrentQueue<Connection> _connections = new();
    private readonly ConcurrentQueue<(string UserName, string Filter)> _subscriptions = new();
    private readonly ConcurrentQueue<string> _events = new();
    private MqttServer? _server;
    private int _validating;
    private int _maxValidating;

    private TestBroker(int port, IEnumerable<DeviceCredentials> devices)
    {
        Port = port;
        _secrets = devices.ToDictionary(d => d.UserName, d => d.Secret, StringComparer.Ordinal);
    }

    public int Port { get; }

    public MqttEndpoint Endpoint => new("127.0.0.1", Port);

    /// <summary>Delay inside connection validation, to observe how many devices connect at once.</summary>
    public TimeSpan ValidationDelay { get; set; }

    public IReadOnlyList<Uplink> Uplinks => [.. _uplinks];

    public IReadOnlyList<Connection> Connections => [.. _connections];

    /// <summary>Subscriptions and uplinks in the order the broker saw them ("subscribe {filter}", "publish {topic}").</summary>
    public IReadOnlyList<string> Events => [.. _events];

    /// <summary>How many times <paramref name="userName"/> subscribed to <paramref name="filter"/>.</summary>
    public int Subscriptions(string userName, string filter) => _subscriptions.Count(s => s.UserName == userName && s.Filter == filter);

    /// <summary>Most connections seen in validation at the same time.</summary>
    public int MaxConcurrentValidations => Volatile.Read(ref _maxValidating);

    public static async Task<TestBroker> StartAsync(params DeviceCredentials[] devices)
    {
        var broker = new TestBroker(FreePort(), devices);
        await broker.StartAsync();
        return broker;
    }

    /// <summary>An endpoint where nothing listens (a silo that is gone).</summary>
    public static MqttEndpoint DeadEndpoint() => new("127.0.0.1", FreePort());

    public async Task StartAsync()
    {
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(Port)
            .Build();
        var server = Factory.CreateMqttServer(options);
        server.ValidatingConnectionAsync += ValidateAsync;
        server.ClientConnectedAsync += e =>
        {
            _connections.Enqueue(new Connection(e.ClientId, e.UserName, e.Password, e.RemoteEndPoint?.ToString() ?? string.Empty));
            return Task.CompletedTask;
        };
        server.ClientSubscribedTopicAsync += e =>
        {
            _subscriptions.Enqueue((e.UserName ?? string.Empty, e.TopicFilter.Topic));
            _events.Enqueue("subscribe " + e.TopicFilter.Topic);
            return Task.CompletedTask;
        };
        server.InterceptingPublishAsync += e =>
        {
            if (!string.IsNullOrEmpty(e.ClientId))
            {
                _uplinks.Enqueue(new Uplink(e.UserName ?? string.Empty, e.ApplicationMessage.Topic, e.ApplicationMessage.ConvertPayloadToString()));
                _events.Enqueue("publish " + e.ApplicationMessage.Topic);
            }

            return Task.CompletedTask;
        };
        await server.StartAsync();
        _server = server;
    }

    public async Task StopAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync();
            server.Dispose();
        }
    }

    /// <summary>Sends a downlink (QoS 1) to whoever subscribed to <paramref name="topic"/>.</summary>
    public async Task SendAsync(string topic, string json)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(Encoding.UTF8.GetBytes(json))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        await Server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message));
    }

    /// <summary>Closes the connection of the device's latest session, as a silo does when it kicks a device.</summary>
    public async Task DropAsync(string userName)
    {
        var clientId = Connections.Last(c => c.UserName == userName).ClientId;
        await Server.DisconnectClientAsync(clientId, MqttDisconnectReasonCode.AdministrativeAction);
    }

    public IReadOnlyList<Uplink> UplinksOn(string topic) => [.. _uplinks.Where(u => u.Topic == topic)];

    public Uplink? FirstOn(string topic) => _uplinks.FirstOrDefault(u => u.Topic == topic);

    public Connection? FirstConnection => _connections.TryPeek(out var first) ? first : null;

    public async ValueTask DisposeAsync() => await StopAsync();

    private MqttServer Server => _server ?? throw new InvalidOperationException("The broker is stopped.");

    private async Task ValidateAsync(ValidatingConnectionEventArgs e)
    {
        var now = Interlocked.Increment(ref _validating);
        InterlockedMax(ref _maxValidating, now);
        try
        {
            if (ValidationDelay > TimeSpan.Zero)
            {
                await Task.Delay(ValidationDelay);
            }

            if (e.UserName is null || !_secrets.TryGetValue(e.UserName, out var secret) || secret != e.Password)
            {
                e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _validating);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed record Connection(string ClientId, string UserName, string Password, string RemoteEndPoint);

public sealed record Uplink(string UserName, string Topic, string Payload)
{
    public JsonElement Json => JsonDocument.Parse(Payload).RootElement;

    public long Seq => Json.GetProperty("seq").GetInt64();
}
