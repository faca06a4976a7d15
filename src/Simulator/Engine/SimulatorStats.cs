namespace Fleet.Simulator.Engine;

/// <summary>Counters shared by all devices of a simulation; cheap to bump from any thread.</summary>
public sealed class SimulatorStats
{
    private long _devices;
    private long _connected;
    private long _connectAttempts;
    private long _connectFailures;
    private long _authFailures;
    private long _reconnects;
    private long _published;
    private long _telemetry;
    private long _publishErrors;
    private long _publishRejected;
    private long _commandsReceived;
    private long _commandsSucceeded;
    private long _commandsFailed;
    private long _commandsRejected;
    private long _commandDuplicates;
    private long _desiredApplied;
    private long _serverErrors;
    private string? _lastError;

    internal void DeviceAdded() => Interlocked.Increment(ref _devices);

    internal void Connected() => Interlocked.Increment(ref _connected);

    internal void Disconnected() => Interlocked.Decrement(ref _connected);

    internal void ConnectAttempt() => Interlocked.Increment(ref _connectAttempts);

    internal void ConnectFailed(string device, string error)
    {
        Interlocked.Increment(ref _connectFailures);
        _lastError = $"{device}: {error}";
    }

    internal void AuthFailed() => Interlocked.Increment(ref _authFailures);

    internal void Reconnected() => Interlocked.Increment(ref _reconnects);

    internal void Published(bool telemetry)
    {
        Interlocked.Increment(ref _published);
        if (telemetry)
        {
            Interlocked.Increment(ref _telemetry);
        }
    }

    internal void PublishFailed(string device, string error)
    {
        Interlocked.Increment(ref _publishErrors);
        _lastError = $"{device}: {error}";
    }

    internal void PublishRejected(string device, string error)
    {
        Interlocked.Increment(ref _publishRejected);
        _lastError = $"{device}: {error}";
    }

    internal void CommandReceived() => Interlocked.Increment(ref _commandsReceived);

    /// <summary>A command the device carried out (or refused), counted once however often its result is sent.</summary>
    internal void CommandCarriedOut(string status)
    {
        switch (status)
        {
            case Protocol.CommandStatus.Succeeded:
                Interlocked.Increment(ref _commandsSucceeded);
                break;
            case Protocol.CommandStatus.Failed:
                Interlocked.Increment(ref _commandsFailed);
                break;
            default:
                Interlocked.Increment(ref _commandsRejected);
                break;
        }
    }

    internal void CommandDuplicate() => Interlocked.Increment(ref _commandDuplicates);

    internal void DesiredApplied() => Interlocked.Increment(ref _desiredApplied);

    internal void ServerError(string device, string error)
    {
        Interlocked.Increment(ref _serverErrors);
        _lastError = $"{device}: {error}";
    }

    public StatsSnapshot Snapshot(DateTimeOffset at) => new(
        at,
        Interlocked.Read(ref _devices),
        Interlocked.Read(ref _connected),
        Interlocked.Read(ref _connectAttempts),
        Interlocked.Read(ref _connectFailures),
        Interlocked.Read(ref _authFailures),
        Interlocked.Read(ref _reconnects),
        Interlocked.Read(ref _published),
        Interlocked.Read(ref _telemetry),
        Interlocked.Read(ref _publishErrors),
        Interlocked.Read(ref _publishRejected),
        Interlocked.Read(ref _commandsReceived),
        Interlocked.Read(ref _commandsSucceeded),
        Interlocked.Read(ref _commandsFailed),
        Interlocked.Read(ref _commandsRejected),
        Interlocked.Read(ref _commandDuplicates),
        Interlocked.Read(ref _desiredApplied),
        Interlocked.Read(ref _serverErrors),
        _lastError);
}

/// <summary>The counters at one moment.</summary>
public sealed record StatsSnapshot(
    DateTimeOffset At,
    long Devices,
    long Connected,
    long ConnectAttempts,
    long ConnectFailures,
    long AuthFailures,
    long Reconnects,
    long Published,
    long Telemetry,
    long PublishErrors,
    long PublishRejected,
    long CommandsReceived,
    long CommandsSucceeded,
    long CommandsFailed,
    long CommandsRejected,
    long CommandDuplicates,
    long DesiredApplied,
    long ServerErrors,
    string? LastError)
{
    public long CommandsAnswered => CommandsSucceeded + CommandsFailed + CommandsRejected;

    /// <summary>Connection failures, publish errors, uplinks Fleet refused and messages on the errors topics.</summary>
    public long Errors => ConnectFailures + PublishErrors + PublishRejected + ServerErrors;
}
