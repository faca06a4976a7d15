using System.Collections.Concurrent;
using Fleet.Grains.Gateway;
using Fleet.Protocol;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Silo.Mqtt;

/// <summary>
/// This silo's device gateway: the registry of its MQTT sessions and the one way messages go down
/// to them — queued on the session itself (<see cref="MqttSessionStatus.TryEnqueueApplicationMessage"/>),
/// never through the broker's subscription fan-out. The gateway grain of this silo calls it for
/// twins anywhere in the cluster.
/// </summary>
internal sealed partial class MqttDeviceGateway(
    MqttServer server,
    ILocalSiloDetails silo,
    MqttMetrics metrics,
    ILogger<MqttDeviceGateway> logger) : IDeviceGateway
{
    private readonly ConcurrentDictionary<string, GatewaySession> _bySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GatewaySession> _byClientId = new(StringComparer.Ordinal);
    private string? _name;

    /// <summary>The gateway's name as twins record it: this silo's address.</summary>
    public string Name => _name ??= silo.SiloAddress.ToParsableString();

    public int Count => _bySession.Count;

    public void Register(GatewaySession session)
    {
        _bySession[session.SessionId] = session;
        _byClientId[session.ClientId] = session;
        metrics.Connected();
    }

    /// <summary>Removes the session; false when it was already removed.</summary>
    public bool Unregister(GatewaySession session)
    {
        if (!_bySession.TryRemove(new KeyValuePair<string, GatewaySession>(session.SessionId, session)))
        {
            return false;
        }

        _byClientId.TryRemove(new KeyValuePair<string, GatewaySession>(session.ClientId, session));
        metrics.Disconnected();
        return true;
    }

    public GatewaySession? WithClientId(string? clientId) =>
        clientId is not null && _byClientId.TryGetValue(clientId, out var session) ? session : null;

    public async ValueTask<bool> SendDesired(DeviceSession session, DesiredDocument desired) =>
        _bySession.TryGetValue(session.SessionId, out var found) && found.Is(session)
        && await EnqueueAsync(found, found.DesiredTopic, DownlinkPayload.Desired(desired), "desired");

    public async ValueTask<bool> SendCommand(DeviceSession session, CommandMessage command) =>
        _bySession.TryGetValue(session.SessionId, out var found) && found.Is(session)
        && await EnqueueAsync(found, DeviceTopics.Of(session.Kind, session.Id, TopicChannel.Command, command.Id), DownlinkPayload.Command(command), "command");

    public ValueTask<bool> EndSession(DeviceSession session, SessionEndReason reason)
    {
        if (!_bySession.TryGetValue(session.SessionId, out var found) || !found.Is(session))
        {
            return ValueTask.FromResult(false);
        }

        var (code, text) = reason switch
        {
            SessionEndReason.TakenOver => (MqttDisconnectReasonCode.SessionTakenOver, "another connection of this device took over"),
            SessionEndReason.Decommissioned => (MqttDisconnectReasonCode.NotAuthorized, "the device was decommissioned"),
            _ => (MqttDisconnectReasonCode.AdministrativeAction, "closed by Fleet"),
        };

        // Not awaited: the twin that asked is waiting for this answer, and closing the session
        // makes the gateway tell that twin the session ended.
        _ = DisconnectAsync(found, code, text);
        return ValueTask.FromResult(true);
    }

    /// <summary>Closes the session's connection with a reason a v5 client sees.</summary>
    public async Task DisconnectAsync(GatewaySession session, MqttDisconnectReasonCode code, string reason)
    {
        session.EndReason = reason;
        try
        {
            await server.DisconnectClientAsync(session.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = code, ReasonString = reason });
            LogClosed(session.KindWire, session.Id, session.SessionId, reason);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (Exception exception)
        {
            LogCloseFailed(exception, session.KindWire, session.Id, session.SessionId);
        }
    }

    /// <summary>Queues a QoS 1 message on this connection's MQTT session; false when the connection is gone.</summary>
    public async Task<bool> EnqueueAsync(GatewaySession session, string topic, byte[] payload, string channel)
    {
        try
        {
            var status = await server.GetSessionAsync(session.ClientId);

            // After a same-client-id reconnect the MQTT session may be reused by the newer
            // connection: deliver only to the connection this message was meant for.
            if (!ReferenceEquals(GatewaySession.Of(status.Items), session))
            {
                return false;
            }

            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithContentType("application/json")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            if (!status.TryEnqueueApplicationMessage(message, out _))
            {
                return false;
            }

            metrics.Out(channel);
            return true;
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException)
        {
            // The session ended (or the server is stopping) in between.
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the connection of {Kind} {DeviceId} (session {SessionId}): {Reason}")]
    private partial void LogClosed(string kind, string deviceId, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the connection of {Kind} {DeviceId} (session {SessionId}) failed")]
    private partial void LogCloseFailed(Exception exception, string kind, string deviceId, string sessionId);
}
