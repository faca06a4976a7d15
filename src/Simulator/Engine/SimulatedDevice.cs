using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Simulator.Behaviour;
using Fleet.Simulator.Protocol;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Simulator.Engine;

/// <summary>Where a device connects from and which endpoint of the list it tries first.</summary>
public sealed record DevicePlacement(int EndpointOffset = 0, IPAddress? SourceAddress = null);

/// <summary>
/// One simulated device on its own MQTT connection: connects as <c>{kind}/{id}</c> with its secret,
/// reports telemetry on a jittered interval, applies desired state, answers commands, and when the
/// connection is lost comes back with jittered exponential backoff, moving along the endpoint list
/// after each failed attempt. Its sequence number lives as long as the device, so a reconnect
/// continues where it left off and never repeats a number.
/// </summary>
public sealed class SimulatedDevice : IDisposable
{
    private const int RememberedResults = 64;
    private static readonly MqttClientFactory ClientFactory = new();

    private readonly SimulatorOptions _options;
    private readonly DevicePlacement _placement;
    private readonly SimulatorStats _stats;
    private readonly SemaphoreSlim? _connectGate;
    private readonly DeviceTopics _topics;
    private readonly DeviceModel _model;
    private readonly Lock _modelLock = new();
    private readonly SemaphoreSlim _publishLane = new(1, 1);
    private readonly Channel<InboundMessage> _inbound = Channel.CreateUnbounded<InboundMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Random _connectionRandom;
    private readonly Random _commandRandom;
    private readonly Backoff _backoff;
    private readonly Dictionary<string, CommandResult> _recentResults = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private IMqttClient? _client;
    private CancellationTokenSource? _currentSession;
    private MqttEndpoint? _endpoint;
    private long _seq = -1;
    private int _endpointIndex;
    private volatile bool _rebootRequested;

    public SimulatedDevice(
        DeviceCredentials credentials,
        SimulatorOptions options,
        DevicePlacement? placement = null,
        SimulatorStats? stats = null,
        SemaphoreSlim? connectGate = null)
    {
        options.Validate();
        Credentials = credentials;
        _options = options;
        _placement = placement ?? new DevicePlacement();
        _stats = stats ?? new SimulatorStats();
        _connectGate = connectGate;
        _topics = new DeviceTopics(credentials.Kind, credentials.Id);
        var seed = options.Seed ^ (int)StableHash.Of(credentials.UserName);
        _connectionRandom = new Random(seed);
        _commandRandom = new Random(seed + 1);
        _backoff = new Backoff(options.BackoffInitial, options.BackoffMax, options.BackoffJitter, _connectionRandom);
        _model = DeviceModel.Create(credentials, options.Behaviour, new Random(seed + 2), options.Time.GetUtcNow());
        _endpointIndex = Math.Abs(_placement.EndpointOffset % options.Endpoints.Count);
        Boot = options.Boot ?? options.Time.GetUtcNow().ToUnixTimeSeconds();
        _stats.DeviceAdded();
    }

    private enum SessionEnd
    {
        Stopped,
        Lost,
        Reboot,
    }

    public DeviceCredentials Credentials { get; }

    public string Name => Credentials.UserName;

    public DeviceTopics Topics => _topics;

    public SimulatorStats Stats => _stats;

    /// <summary>The boot number sent with every report.</summary>
    public long Boot { get; }

    /// <summary>The last sequence number sent (-1 before the first report).</summary>
    public long Seq => Interlocked.Read(ref _seq);

    public bool IsConnected => Volatile.Read(ref _client)?.IsConnected == true;

    /// <summary>The endpoint of the current connection, if any.</summary>
    public MqttEndpoint? Endpoint => Volatile.Read(ref _endpoint);

    /// <summary>Reads the device's simulated state safely (it changes on other threads).</summary>
    public T Inspect<T>(Func<DeviceModel, T> read)
    {
        lock (_modelLock)
        {
            return read(_model);
        }
    }

    /// <summary>Runs the device until <paramref name="cancellationToken"/> fires, then disconnects cleanly.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var inbound = ProcessInboundAsync(cancellationToken);
        try
        {
            await ConnectionLoopAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _inbound.Writer.TryComplete();
            await inbound;
        }
    }

    public void Dispose()
    {
        _publishLane.Dispose();
        Volatile.Read(ref _client)?.Dispose();
    }

    private async Task ConnectionLoopAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var connectedBefore = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var endpoint = _options.Endpoints[_endpointIndex];
            using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var client = await TryConnectAsync(endpoint, session, cancellationToken);
            if (client is null)
            {
                _endpointIndex = (_endpointIndex + 1) % _options.Endpoints.Count;
                await Task.Delay(_backoff.Next(failures++), _options.Time, cancellationToken);
                continue;
            }

            if (connectedBefore)
            {
                _stats.Reconnected();
            }

            connectedBefore = true;
            var started = _options.Time.GetUtcNow();
            SessionEnd end;
            try
            {
                Volatile.Write(ref _endpoint, endpoint);
                Volatile.Write(ref _currentSession, session);
                end = await RunSessionAsync(client, session.Token, cancellationToken);
            }
            finally
            {
                Volatile.Write(ref _currentSession, null);
                Volatile.Write(ref _endpoint, null);
                await CloseAsync(client, graceful: cancellationToken.IsCancellationRequested);
            }

            switch (end)
            {
                case SessionEnd.Stopped:
                    return;
                case SessionEnd.Reboot:
                    await Task.Delay(_options.RebootDuration, _options.Time, cancellationToken);
                    lock (_modelLock)
                    {
                        _model.Restart(_options.Time.GetUtcNow());
                    }

                    _rebootRequested = false;
                    failures = 0;
                    continue;
                default:
                    if (_options.Time.GetUtcNow() - started >= _options.StableSessionAfter)
                    {
                        failures = 0;
                    }

                    // The same endpoint first: a takeover or a kick is not a dead silo. A dead one fails
                    // the next attempt and moves the device along the list.
                    await Task.Delay(_backoff.Next(failures++), _options.Time, cancellationToken);
                    break;
            }
        }
    }

    private async Task<IMqttClient?> TryConnectAsync(MqttEndpoint endpoint, CancellationTokenSource session, CancellationToken cancellationToken)
    {
        if (_connectGate is not null)
        {
            await _connectGate.WaitAsync(cancellationToken);
        }

        IMqttClient? client = null;
        try
        {
            _stats.ConnectAttempt();
            client = ClientFactory.CreateMqttClient();
            client.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
            client.DisconnectedAsync += e =>
            {
                if (e.ClientWasConnected)
                {
                    CancelQuietly(session);
                }

                return Task.CompletedTask;
            };

            var result = await client.ConnectAsync(BuildOptions(endpoint), cancellationToken);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                if (result.ResultCode is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized)
                {
                    _stats.AuthFailed();
                }

                _stats.ConnectFailed(Name, $"{endpoint} refused the connection: {result.ResultCode} {result.ReasonString}".TrimEnd());
                client.Dispose();
                return null;
            }

            // Report first, then listen: once Fleet has acknowledged what this device runs (QoS 1 is
            // acknowledged after the twin applied it), the desired document it sends on SUBSCRIBE
            // already accounts for a device that came back with other settings than it left with.
            Volatile.Write(ref _client, client);
            await PublishReportAsync(telemetry: false, cancellationToken);

            var subscription = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(_topics.Desired, MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(_topics.Commands, MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(_topics.Errors, MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var subscribed = await client.SubscribeAsync(subscription, cancellationToken);
            foreach (var item in subscribed.Items)
            {
                if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                {
                    _stats.ServerError(Name, $"subscription to {item.TopicFilter.Topic} refused: {item.ResultCode}");
                }
            }

            return client;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _client, null);
            client?.Dispose();
            throw;
        }
        catch (Exception exception)
        {
            _stats.ConnectFailed(Name, $"{endpoint}: {Explain(exception)}");
            Volatile.Write(ref _client, null);
            client?.Dispose();
            return null;
        }
        finally
        {
            _connectGate?.Release();
        }
    }

    private MqttClientOptions BuildOptions(MqttEndpoint endpoint)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithEndPoint(endpoint.ToEndPoint())
            .WithClientId(_options.ClientIdPrefix + Credentials.Kind + "-" + Credentials.Id)
            .WithCredentials(Credentials.UserName, Credentials.Secret)
            .WithProtocolVersion(_options.ProtocolVersion)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.ResponseTimeout);
        if (_placement.SourceAddress is { } source)
        {
            // Must follow WithEndPoint: it configures the TCP options that endpoint created.
            builder = builder.WithTcpServer(tcp => tcp.LocalEndpoint = new IPEndPoint(source, 0));
        }

        return builder.Build();
    }

    private async Task<SessionEnd> RunSessionAsync(IMqttClient client, CancellationToken session, CancellationToken cancellationToken)
    {
        _stats.Connected();
        try
        {
            await _options.TelemetryStart.WaitAsync(session);

            // The first report lands anywhere within one interval, so a fleet connecting together spreads out.
            var delay = _options.TelemetryInterval * _connectionRandom.NextDouble();
            while (client.IsConnected)
            {
                await Task.Delay(delay, _options.Time, session);
                await PublishReportAsync(telemetry: true, session);
                delay = _options.TelemetryInterval * (1 + (_options.TelemetryJitter * ((2 * _connectionRandom.NextDouble()) - 1)));
            }
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
        }
        finally
        {
            Volatile.Write(ref _client, null);
            _stats.Disconnected();
        }

        return cancellationToken.IsCancellationRequested ? SessionEnd.Stopped
            : _rebootRequested ? SessionEnd.Reboot
            : SessionEnd.Lost;
    }

    private static async Task CloseAsync(IMqttClient client, bool graceful)
    {
        try
        {
            if (graceful && client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var disconnect = new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build();
                await client.DisconnectAsync(disconnect, timeout.Token);
            }
        }
        catch (Exception)
        {
            // Best effort: the socket goes away with the client either way.
        }
        finally
        {
            client.Dispose();
        }
    }

    private static void CancelQuietly(CancellationTokenSource? source)
    {
        try
        {
            source?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session already ended.
        }
    }

    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        // Hand over and return at once: commands take their time, and the client's receive path must not wait.
        _inbound.Writer.TryWrite(new InboundMessage(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray()));
        return Task.CompletedTask;
    }

    private async Task ProcessInboundAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _inbound.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    if (message.Topic == _topics.Desired)
                    {
                        await HandleDesiredAsync(message.Payload, cancellationToken);
                    }
                    else if (_topics.TryParseCommand(message.Topic, out var commandId))
                    {
                        await HandleCommandAsync(commandId, message.Payload, cancellationToken);
                    }
                    else if (message.Topic == _topics.Errors)
                    {
                        _stats.ServerError(Name, "Fleet refused an uplink: " + Shorten(Encoding.UTF8.GetString(message.Payload)));
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception exception)
                {
                    _stats.ServerError(Name, $"handling {message.Topic} failed: {exception.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleDesiredAsync(byte[] payload, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException exception)
        {
            _stats.ServerError(Name, "desired is not JSON: " + exception.Message);
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                _stats.ServerError(Name, "desired is not a JSON object");
                return;
            }

            // {"version": n, "desired": {...}, "delta": {...}} as the gateway sends it; a bare field object is
            // accepted too. The version is not used to drop documents: it is the twin's version, which
            // may resume lower after a silo crash, and MQTT keeps one connection's documents in order.
            var fields = root.TryGetProperty("desired", out var desired) && desired.ValueKind == JsonValueKind.Object ? desired
                : root.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object ? state
                : root;
            DesiredOutcome outcome;
            lock (_modelLock)
            {
                outcome = _model.ApplyDesired(fields, _options.Time.GetUtcNow());
            }

            if (outcome.Applied.Count > 0)
            {
                _stats.DesiredApplied();
            }

            foreach (var problem in outcome.Problems)
            {
                _stats.ServerError(Name, "desired " + problem);
            }
        }

        // Always report back, so Fleet sees what the device really runs and can clear (or keep) the delta.
        await PublishReportAsync(telemetry: false, cancellationToken);
    }

    private async Task HandleCommandAsync(string commandId, byte[] payload, CancellationToken cancellationToken)
    {
        _stats.CommandReceived();
        if (_recentResults.TryGetValue(commandId, out var previous))
        {
            // Fleet re-sends a command whose result it missed: answer again, do not do it twice.
            _stats.CommandDuplicate();
            await PublishResultAsync(commandId, previous, cancellationToken);
            return;
        }

        var command = DeviceCommand.Parse(commandId, payload, out var error);
        var effect = CommandEffect.None;
        CommandResult result;
        if (command is null)
        {
            result = new CommandResult(CommandStatus.Rejected, error ?? "not a command");
        }
        else if (command.ExpiresAt is { } expiresAt && expiresAt <= _options.Time.GetUtcNow())
        {
            result = new CommandResult(CommandStatus.Rejected, "expired at " + JsonArgs.FormatTime(expiresAt));
        }
        else
        {
            var delay = _options.CommandDelayMin + ((_options.CommandDelayMax - _options.CommandDelayMin) * _commandRandom.NextDouble());
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _options.Time, cancellationToken);
            }

            (result, effect) = Execute(command);
        }

        // Counted when carried out, not when the result gets through: a result lost with the
        // connection is answered again from memory when Fleet re-sends the command.
        Remember(commandId, result);
        _stats.CommandCarriedOut(result.Status);
        switch (effect)
        {
            case CommandEffect.ReportState:
                await PublishReportAsync(telemetry: false, cancellationToken);
                break;
            case CommandEffect.ReportTelemetry:
                await PublishReportAsync(telemetry: true, cancellationToken);
                break;
        }

        await PublishResultAsync(commandId, result, cancellationToken);
        if (effect == CommandEffect.Reboot)
        {
            _rebootRequested = true;
            CancelQuietly(Volatile.Read(ref _currentSession));
        }
    }

    private (CommandResult Result, CommandEffect Effect) Execute(DeviceCommand command)
    {
        lock (_modelLock)
        {
            var now = _options.Time.GetUtcNow();
            _model.Advance(now);
            var plan = _model.Plan(command, now);
            if (plan.Rejection is { } reason)
            {
                return (new CommandResult(CommandStatus.Rejected, reason), CommandEffect.None);
            }

            if (_commandRandom.NextDouble() >= _options.CommandSuccessRate)
            {
                return (new CommandResult(CommandStatus.Failed, $"the {Credentials.Kind} did not carry out '{command.Name}' (simulated failure)"), CommandEffect.None);
            }

            return (new CommandResult(CommandStatus.Succeeded, plan.Apply()), plan.Effect);
        }
    }

    private void Remember(string commandId, CommandResult result)
    {
        _recentResults[commandId] = result;
        _recentOrder.Enqueue(commandId);
        if (_recentOrder.Count > RememberedResults)
        {
            _recentResults.Remove(_recentOrder.Dequeue());
        }
    }

    private async Task PublishResultAsync(string commandId, CommandResult result, CancellationToken cancellationToken)
    {
        await _publishLane.WaitAsync(cancellationToken);
        try
        {
            var client = Volatile.Read(ref _client);
            if (client is not null && client.IsConnected)
            {
                await SendAsync(client, _topics.Result(commandId), result.ToPayload(), MqttQualityOfServiceLevel.AtLeastOnce, telemetry: false, cancellationToken);
            }
        }
        finally
        {
            _publishLane.Release();
        }
    }

    /// <summary>
    /// Publishes telemetry or reported state with the next sequence number. One lane per device, so
    /// numbers reach Fleet in the order they were taken (an overtaken lower seq would be dropped).
    /// </summary>
    private async Task PublishReportAsync(bool telemetry, CancellationToken cancellationToken)
    {
        await _publishLane.WaitAsync(cancellationToken);
        try
        {
            var client = Volatile.Read(ref _client);
            if (client is null || !client.IsConnected)
            {
                return;
            }

            var seq = Interlocked.Increment(ref _seq);
            var payload = BuildReport(seq, telemetry);
            await SendAsync(
                client,
                telemetry ? _topics.Telemetry : _topics.Reported,
                payload,
                telemetry ? _options.TelemetryQos : MqttQualityOfServiceLevel.AtLeastOnce,
                telemetry,
                cancellationToken);
        }
        finally
        {
            _publishLane.Release();
        }
    }

    private byte[] BuildReport(long seq, bool telemetry)
    {
        var now = _options.Time.GetUtcNow();
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", seq);
            writer.WriteNumber("boot", Boot);
            writer.WriteString("ts", JsonArgs.FormatTime(now));
            lock (_modelLock)
            {
                _model.Advance(now);
                if (telemetry)
                {
                    _model.WriteTelemetry(writer);
                }
                else
                {
                    _model.WriteReported(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task<bool> SendAsync(IMqttClient client, string topic, byte[] payload, MqttQualityOfServiceLevel qos, bool telemetry, CancellationToken cancellationToken)
    {
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(qos)
                .Build();
            var result = await client.PublishAsync(message, cancellationToken);
            if (!result.IsSuccess)
            {
                _stats.PublishRejected(Name, $"{topic}: {result.ReasonCode} {result.ReasonString}".TrimEnd());
                return false;
            }

            _stats.Published(telemetry);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            // MQTTnet reports a publish cut short by our own cancellation as a timeout: not an error.
            if (!cancellationToken.IsCancellationRequested)
            {
                _stats.PublishFailed(Name, $"{topic}: {Explain(exception)}");
            }

            return false;
        }
    }

    /// <summary>MQTTnet wraps socket errors ("Error while connecting host"): the inner message says why.</summary>
    private static string Explain(Exception exception) =>
        exception.InnerException is { } inner ? $"{exception.Message} ({inner.Message})" : exception.Message;

    private static string Shorten(string text) =>
        text.Length <= 200 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..200]}… ({text.Length} chars)");

    private sealed record InboundMessage(string Topic, byte[] Payload);
}
