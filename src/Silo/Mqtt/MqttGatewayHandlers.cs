using System.Collections.Concurrent;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Protocol;
using Fleet.Twins;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Silo.Mqtt;

/// <summary>
/// The MQTT server's event handlers: they authenticate devices, turn their messages into calls on
/// their twins and keep the twins told about connections. Every handler catches everything —
/// an exception escaping into MQTTnet drops the client's connection.
/// </summary>
internal sealed partial class MqttGatewayHandlers(
    IGrainFactory grains,
    MqttDeviceGateway gateway,
    IOptions<MqttGatewayOptions> options,
    MqttMetrics metrics,
    TimeProvider time,
    ILogger<MqttGatewayHandlers> logger)
{
    private readonly MqttGatewayOptions _options = options.Value;

    // Old sessions ended by a same-client-id takeover, until the connection that took over is
    // known (see OnClientDisconnectedAsync).
    private readonly ConcurrentDictionary<string, GatewaySession> _takenOver = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _open;
    private volatile bool _stopping;

    public void Attach(MqttServer server)
    {
        server.ValidatingConnectionAsync += OnValidatingConnectionAsync;
        server.ClientConnectedAsync += OnClientConnectedAsync;
        server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        server.InterceptingPublishAsync += OnInterceptingPublishAsync;
        server.InterceptingSubscriptionAsync += OnInterceptingSubscriptionAsync;
        server.ClientSubscribedTopicAsync += OnClientSubscribedTopicAsync;
    }

    /// <summary>
    /// Stops the MQTT server before Kestrel stops (otherwise Kestrel waits its whole shutdown
    /// timeout for connections that never close): devices get ServerShuttingDown and reconnect to
    /// another silo, and the twins hear about the disconnects while the silo can still call them.
    /// </summary>
    public void Stop(MqttServer server)
    {
        _stopping = true;
        if (!server.IsStarted)
        {
            return;
        }

        try
        {
            LogStopping(gateway.Count);
            var goodbye = new MqttServerClientDisconnectOptions
            {
                ReasonCode = MqttDisconnectReasonCode.ServerShuttingDown,
                ReasonString = "this Fleet silo is shutting down; reconnect to another",
            };

            // MqttServer.StopAsync cancels every connection before it sends its DISCONNECT, so a
            // client may see the socket close without the reason. Say goodbye to each first.
            var clients = server.GetClientsAsync().GetAwaiter().GetResult();
            Task.WhenAll(clients.Select(client => SayGoodbyeAsync(client, goodbye))).Wait(_options.ShutdownGrace);
            server.StopAsync(new MqttServerStopOptions { DefaultClientDisconnectOptions = goodbye }).GetAwaiter().GetResult();
            if (Volatile.Read(ref _open) == 0)
            {
                _drained.TrySetResult();
            }

            if (!_drained.Task.Wait(_options.ShutdownGrace))
            {
                LogShutdownGraceExceeded(Volatile.Read(ref _open));
            }
        }
        catch (Exception exception)
        {
            LogStopFailed(exception);
        }
    }

    private static async Task SayGoodbyeAsync(MqttClientStatus client, MqttServerClientDisconnectOptions goodbye)
    {
        try
        {
            await client.DisconnectAsync(goodbye);
        }
        catch (Exception)
        {
            // Gone already, or going: the server stop that follows closes it either way.
        }
    }

    private async Task OnValidatingConnectionAsync(ValidatingConnectionEventArgs e)
    {
        try
        {
            AssignClientIdIfEmpty(e);
            if (!DeviceUserName.TryParse(e.UserName, out var kind, out var id, out var problem))
            {
                Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "badUserName", problem!);
                return;
            }

            if (string.IsNullOrEmpty(e.Password))
            {
                Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "noPassword", "the password must be the device secret", kind, id);
                return;
            }

            var result = await grains.GetEndpoint(kind, id).Authenticate(e.Password);
            if (result == AuthResult.WrongSecret)
            {
                Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "wrongSecret", "wrong user name or password", kind, id);
                return;
            }

            if (result != AuthResult.Ok)
            {
                Refuse(e, MqttConnectReasonCode.NotAuthorized, "unknownDevice", "no such device is in service", kind, id);
                return;
            }

            // A client id names one MQTT session on this silo: a device must not end another's.
            if (gateway.WithClientId(e.ClientId) is { } holder && (holder.Kind != kind || holder.Id != id))
            {
                Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, "clientIdInUse", "the client id is in use by another device", kind, id);
                return;
            }
        }
        catch (Exception exception)
        {
            LogHandlerFailed(exception, nameof(OnValidatingConnectionAsync));
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            e.ReasonString = "Fleet could not check the credentials; try again later";
            metrics.Refused("serverUnavailable");
        }
    }

    /// <summary>
    /// Gives a client that sent an empty client id one of its own, as MQTT allows (3.1.1: with a
    /// clean session; 5.0: returned in CONNACK). mosquitto_pub and mosquitto_sub send an empty id
    /// unless told otherwise. MQTTnet 5.2 assigns ids only for MQTT 5, so for 3.1.1 the id is set
    /// on the CONNECT packet itself — first, so a refusal is not reported as a bad client id.
    /// </summary>
    private static void AssignClientIdIfEmpty(ValidatingConnectionEventArgs e)
    {
        if (!string.IsNullOrEmpty(e.ClientId))
        {
            return;
        }

        var assigned = "fleet-" + Guid.NewGuid().ToString("N");
        if (e.ProtocolVersion == MQTTnet.Formatter.MqttProtocolVersion.V500)
        {
            e.AssignedClientIdentifier = assigned;
        }
        else if (e.CleanSession == true)
        {
            ConnectPacketOf(e).ClientId = assigned;
        }
    }

    // MQTTnet 5.2.0.1603 keeps the CONNECT packet in this private field; the mosquitto test fails
    // at once (MissingFieldException) if a newer MQTTnet renames it.
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = "_connectPacket")]
    private static extern ref MQTTnet.Packets.MqttConnectPacket ConnectPacketOf(ValidatingConnectionEventArgs e);

    private async Task OnClientConnectedAsync(ClientConnectedEventArgs e)
    {
        Interlocked.Increment(ref _open);
        GatewaySession? session = null;
        try
        {
            if (!DeviceUserName.TryParse(e.UserName, out var kind, out var id, out _))
            {
                return;
            }

            // The items dictionary filled during validation is discarded when MQTTnet reuses a
            // session, so the connection's state is made here, on the session's real dictionary.
            session = new GatewaySession(kind, id, e.ClientId, new TokenBucket(_options.MessagesPerSecond, _options.Burst, time));
            e.SessionItems[GatewaySession.Key] = session;
            gateway.Register(session);
            LogConnected(session.KindWire, session.Id, session.ClientId, session.SessionId, e.ProtocolVersion);

            await ForgetTakenOverAsync(e.ClientId, session);
            await grains.GetEndpoint(kind, id).Connected(new DeviceConnection
            {
                SessionId = session.SessionId,
                Gateway = gateway.Name,
                At = time.GetUtcNow(),
            });
        }
        catch (Exception exception)
        {
            LogHandlerFailed(exception, nameof(OnClientConnectedAsync));
            if (session is not null)
            {
                // The twin does not know the connection: better the device reconnects.
                _ = gateway.DisconnectAsync(session, MqttDisconnectReasonCode.ServerBusy, "Fleet could not register the connection; reconnect");
            }
        }
    }

    private async Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        try
        {
            if (GatewaySession.Of(e.SessionItems) is not { } session || !gateway.Unregister(session))
            {
                // Not one of ours, or the connection that took over this session never got going.
                if (!string.IsNullOrEmpty(e.ClientId) && _takenOver.TryRemove(e.ClientId, out var orphan))
                {
                    await TellDisconnectedAsync(orphan, "the connection that took over failed");
                }

                return;
            }

            if (e.DisconnectType == MqttClientDisconnectType.Takeover)
            {
                // The same client id reconnected. This runs inside MQTTnet's connect lock, so no
                // grain call here: the new connection, about to call Connected, settles it.
                _takenOver[session.ClientId] = session;
                LogDisconnected(session.KindWire, session.Id, session.SessionId, "client id reconnected");
                return;
            }

            await TellDisconnectedAsync(session, session.EndReason ?? (e.DisconnectType == MqttClientDisconnectType.Clean
                ? "clean disconnect"
                : "connection lost or keep-alive expired"));
        }
        catch (Exception exception)
        {
            LogHandlerFailed(exception, nameof(OnClientDisconnectedAsync));
        }
        finally
        {
            if (Interlocked.Decrement(ref _open) <= 0 && _stopping)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The session taken over by a new connection with the same client id is settled by that new
    /// connection: the same device needs nothing (its Connected replaces the session), another
    /// device's twin must hear that its connection ended.
    /// </summary>
    private async Task ForgetTakenOverAsync(string clientId, GatewaySession current)
    {
        if (_takenOver.TryRemove(clientId, out var old) && (old.Kind != current.Kind || old.Id != current.Id))
        {
            await TellDisconnectedAsync(old, "client id taken by another device");
        }
    }

    private async Task TellDisconnectedAsync(GatewaySession session, string how)
    {
        LogDisconnected(session.KindWire, session.Id, session.SessionId, how);
        await grains.GetEndpoint(session.Kind, session.Id).Disconnected(session.SessionId);
    }

    private async Task OnInterceptingPublishAsync(InterceptingPublishEventArgs e)
    {
        // Uplinks are consumed here and never fanned out to subscribers: a publish costs O(1)
        // however many devices are connected.
        e.ProcessPublish = false;
        try
        {
            if (GatewaySession.Of(e.SessionItems) is not { } session)
            {
                e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
                return;
            }

            var started = time.GetTimestamp();
            var topic = e.ApplicationMessage.Topic ?? string.Empty;
            var isTopic = DeviceTopics.TryParse(topic, out var parsed);
            var channel = !isTopic || !parsed.IsUplink ? "invalid" : ChannelName(parsed.Channel);
            metrics.In(channel);

            UplinkAnswer? answer;
            try
            {
                answer = await RouteAsync(session, e.ApplicationMessage, topic, isTopic ? parsed : null);
            }
            catch (Exception exception)
            {
                LogRoutingFailed(exception, session.KindWire, session.Id, topic);
                answer = new UplinkAnswer(UplinkReasons.InternalError, MqttPubAckReasonCode.UnspecifiedError, "Fleet could not process the message; send it again later");
            }

            metrics.Routed(time.GetElapsedTime(started), channel);
            if (answer is not null)
            {
                await AnswerAsync(e, session, topic, answer);
            }
        }
        catch (Exception exception)
        {
            LogHandlerFailed(exception, nameof(OnInterceptingPublishAsync));
            e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
        }
    }

    /// <summary>Checks, parses and hands one uplink to the twin; null when it was simply applied.</summary>
    private async Task<UplinkAnswer?> RouteAsync(GatewaySession session, MqttApplicationMessage message, string topic, DeviceTopic? parsed)
    {
        if (!session.Bucket.TryTake())
        {
            return new UplinkAnswer(
                UplinkReasons.RateLimited,
                MqttPubAckReasonCode.QuotaExceeded,
                $"rate limit exceeded: at most {_options.MessagesPerSecond:0.##} messages per second, bursts of {_options.Burst}; this message was dropped");
        }

        if (DeviceTopics.TryParseOwner(topic, out var kind, out var id) && (kind != session.Kind || id != session.Id))
        {
            var violations = session.AddAclViolation();
            LogAclViolation(session.KindWire, session.Id, topic, violations);
            return new UplinkAnswer(
                UplinkReasons.NotAuthorized,
                MqttPubAckReasonCode.NotAuthorized,
                $"a device may publish only under its own prefix {session.Prefix}",
                Close: violations >= _options.MaxAclViolations ? MqttDisconnectReasonCode.NotAuthorized : null);
        }

        if (parsed is not { IsUplink: true } uplink)
        {
            return new UplinkAnswer(
                UplinkReasons.InvalidTopic,
                MqttPubAckReasonCode.TopicNameInvalid,
                $"not an uplink topic: publish to {session.Prefix}telemetry, {session.Prefix}reported or {session.Prefix}commands/{{commandId}}/result");
        }

        var payload = message.Payload;
        if (payload.Length > _options.MaxPayloadBytes)
        {
            return new UplinkAnswer(
                UplinkReasons.PayloadTooLarge,
                MqttPubAckReasonCode.QuotaExceeded,
                $"the payload is {payload.Length} bytes; the limit is {_options.MaxPayloadBytes}");
        }

        return uplink.Channel == TopicChannel.CommandResult
            ? await RouteCommandResultAsync(session, uplink.CommandId!, payload)
            : await RouteReportAsync(session, uplink.Channel == TopicChannel.Telemetry ? ReportTopic.Telemetry : ReportTopic.Reported, payload);
    }

    private async Task<UplinkAnswer?> RouteReportAsync(GatewaySession session, ReportTopic topic, System.Buffers.ReadOnlySequence<byte> payload)
    {
        var parse = UplinkPayload.ParseReport(payload, session.Kind, topic);
        if (parse.Report is not { } report)
        {
            return new UplinkAnswer(UplinkReasons.InvalidPayload, MqttPubAckReasonCode.PayloadFormatInvalid, parse.Error!, parse.Seq);
        }

        var result = await grains.GetEndpoint(session.Kind, session.Id).Report(report);
        switch (result.Outcome)
        {
            case ReportOutcome.Applied:
                var ignored = parse.UnknownFields.Concat(result.IgnoredFields).Distinct(StringComparer.Ordinal).ToList();
                return ignored.Count == 0
                    ? null
                    : new UplinkAnswer(
                        UplinkReasons.IgnoredFields,
                        MqttPubAckReasonCode.Success,
                        $"ignored field(s) a {session.KindWire} does not report: {string.Join(", ", ignored)}; the rest was applied",
                        report.Seq);
            case ReportOutcome.Duplicate:
                return new UplinkAnswer(
                    UplinkReasons.StaleSeq,
                    MqttPubAckReasonCode.Success,
                    $"seq {report.Seq} (boot {report.Boot}) is not newer than the last applied report; acknowledged, not applied",
                    report.Seq);
            case ReportOutcome.Rejected:
                return new UplinkAnswer(UplinkReasons.RejectedValue, MqttPubAckReasonCode.PayloadFormatInvalid, result.Error ?? "rejected", report.Seq);
            default:
                return new UplinkAnswer(
                    UplinkReasons.UnknownDevice,
                    MqttPubAckReasonCode.NotAuthorized,
                    "the device is no longer in service",
                    report.Seq,
                    MqttDisconnectReasonCode.NotAuthorized);
        }
    }

    /// <summary>Hands a command result to the twin; a result for a command it does not know is acknowledged and answered with an error.</summary>
    private async Task<UplinkAnswer?> RouteCommandResultAsync(GatewaySession session, string commandId, System.Buffers.ReadOnlySequence<byte> payload)
    {
        var (result, error) = UplinkPayload.ParseCommandResult(payload);
        if (result is null)
        {
            return new UplinkAnswer(UplinkReasons.InvalidPayload, MqttPubAckReasonCode.PayloadFormatInvalid, error!);
        }

        var answer = await grains.GetEndpoint(session.Kind, session.Id).ReportCommandResult(commandId, result.Status, result.Detail);
        return answer == CommandResultAnswer.Unknown
            ? new UplinkAnswer(
                UplinkReasons.UnknownCommand,
                MqttPubAckReasonCode.Success,
                $"no command '{commandId}' is known for {session.KindWire} {session.Id}; the result was ignored")
            : null;
    }

    /// <summary>Answers an uplink that was not simply applied: v5 reason code, a message on the device's errors topic, a metric.</summary>
    private async Task AnswerAsync(InterceptingPublishEventArgs e, GatewaySession session, string topic, UplinkAnswer answer)
    {
        if (answer.IsRejection)
        {
            e.Response.ReasonCode = answer.Code;
            e.Response.ReasonString = answer.Error;
            metrics.Rejected(answer.Reason);
            LogRejected(session.KindWire, session.Id, answer.Reason, answer.Error);
        }
        else
        {
            metrics.Noticed(answer.Reason);
        }

        await gateway.EnqueueAsync(session, session.ErrorsTopic, DownlinkPayload.Error(topic, answer), "errors");
        if (answer.Close is { } close)
        {
            // Works from inside the interceptor; no PUBACK follows for this message.
            await gateway.DisconnectAsync(session, close, answer.Reason == UplinkReasons.NotAuthorized
                ? $"more than {_options.MaxAclViolations - 1} publishes to topics of other devices"
                : answer.Error);
        }
    }

    private Task OnInterceptingSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        try
        {
            var session = GatewaySession.Of(e.SessionItems);
            if (session is not null && TopicAcl.MaySubscribe(session, e.TopicFilter.Topic))
            {
                return Task.CompletedTask;
            }

            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            e.Response.ReasonString = session is null
                ? "not authorized"
                : $"a device may subscribe only to its own {session.Prefix}desired, {session.Prefix}commands/# and {session.Prefix}errors";
            metrics.Rejected("subscriptionRefused");
            if (session is not null)
            {
                LogSubscriptionRefused(session.KindWire, session.Id, e.TopicFilter.Topic);
            }
        }
        catch (Exception exception)
        {
            LogHandlerFailed(exception, nameof(OnInterceptingSubscriptionAsync));
            e.Response.ReasonCode = MqttSubscribeReasonCode.UnspecifiedError;
        }

        return Task.CompletedTask;
    }

    private async Task OnClientSubscribedTopicAsync(ClientSubscribedTopicEventArgs e)
    {
        try
        {
            if (GatewaySession.Of(e.SessionItems) is { } session && TopicAcl.CoversDesired(session, e.TopicFilter.Topic))
            {
                await grains.GetEndpoint(session.Kind, session.Id).DesiredRequested(session.SessionId);
            }
        }
        catch (Exception exception)
        {
            LogHandlerFailed(exception, nameof(OnClientSubscribedTopicAsync));
        }
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string reason, string text, DeviceKind? kind = null, string? id = null)
    {
        e.ReasonCode = code;
        e.ReasonString = text;
        metrics.Refused(reason);
        if (kind?.ToWire() is { } wire)
        {
            LogRefused(wire, id!, reason);
        }
        else
        {
            LogRefusedUnnamed(e.RemoteEndPoint, reason);
        }
    }

    private static string ChannelName(TopicChannel channel) => channel switch
    {
        TopicChannel.Telemetry => "telemetry",
        TopicChannel.Reported => "reported",
        TopicChannel.CommandResult => "commandResult",
        _ => "invalid",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {DeviceId} connected: client {ClientId}, session {SessionId}, MQTT {Protocol}")]
    private partial void LogConnected(string kind, string deviceId, string clientId, string sessionId, MQTTnet.Formatter.MqttProtocolVersion protocol);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {DeviceId} disconnected: session {SessionId}, {How}")]
    private partial void LogDisconnected(string kind, string deviceId, string sessionId, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a connection as {Kind} {DeviceId}: {Reason}")]
    private partial void LogRefused(string kind, string deviceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a connection from {Endpoint}: {Reason}")]
    private partial void LogRefusedUnnamed(System.Net.EndPoint? endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected a message of {Kind} {DeviceId}: {Reason}, {Error}")]
    private partial void LogRejected(string kind, string deviceId, string reason, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {DeviceId} published to {Topic}, not its own topic ({Violations} so far)")]
    private partial void LogAclViolation(string kind, string deviceId, string topic, int violations);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {DeviceId} may not subscribe to {Filter}")]
    private partial void LogSubscriptionRefused(string kind, string deviceId, string filter);

    [LoggerMessage(Level = LogLevel.Error, Message = "Routing a message of {Kind} {DeviceId} on {Topic} failed")]
    private partial void LogRoutingFailed(Exception exception, string kind, string deviceId, string topic);

    [LoggerMessage(Level = LogLevel.Error, Message = "The MQTT handler {Handler} failed")]
    private partial void LogHandlerFailed(Exception exception, string handler);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping the MQTT gateway: closing {Count} device connections")]
    private partial void LogStopping(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} device disconnects were still being reported to twins when the shutdown grace ran out")]
    private partial void LogShutdownGraceExceeded(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping the MQTT server failed")]
    private partial void LogStopFailed(Exception exception);
}
