using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Events;
using Fleet.Grains.Commands;
using Fleet.Grains.Gateway;
using Fleet.Twins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Fleet.Grains.Twins;

/// <summary>
/// The grain behind every device twin. Each kind is a small sealed subclass that names its rules;
/// everything else — storage, write coalescing, time-based rules — lives here once.
/// </summary>
public abstract partial class TwinGrain : Grain, IDeviceTwinGrain, IDeviceEndpointGrain
{
    /// <summary>How long a twin waits for a gateway before it treats the device as unreachable.</summary>
    private static readonly TimeSpan GatewayTimeout = TimeSpan.FromSeconds(5);

    private readonly IPersistentState<TwinState> _state;
    private readonly TwinEngine _engine;
    private readonly TwinOptions _options;
    private CommandOptions _commandOptions = new();
    private readonly TwinClock _clock;
    private readonly ILogger _logger;
    private readonly string _kind;
    private IGrainTimer? _writeTimer;
    private IGrainTimer? _checkTimer;
    private bool _dirty;
    private ITwinObserver[] _observers = [];
    private IFaultObserver[] _faultObservers = [];
    private IClusterMembershipService? _membership;
    private SiloAddress? _localSilo;

    private protected TwinGrain(KindRules rules, IPersistentState<TwinState> state, IOptions<TwinOptions> options, TwinClock clock, ILogger logger)
    {
        _state = state;
        _options = options.Value;
        _engine = new TwinEngine(rules, _options);
        _clock = clock;
        _logger = logger;
        _kind = rules.Kind.ToWire();
    }

    private string Id => this.GetPrimaryKeyString();

    private TwinState State => _state.State;

    private DateTimeOffset Now => _clock.UtcNow;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A twin stored as online whose gateway silo has left (crash, whole-cluster restart) would
        // otherwise stay online forever: no disconnect will ever come from that silo.
        _observers = ServiceProvider.GetServices<ITwinObserver>().ToArray();
        _faultObservers = ServiceProvider.GetServices<IFaultObserver>().ToArray();
        _commandOptions = ServiceProvider.GetService<IOptions<CommandOptions>>()?.Value ?? _commandOptions;
        var faultsBefore = State.Faults.ToArray();
        var wentOffline = ForgetVanishedGateway();
        if (_engine.Reevaluate(State, Now))
        {
            await WriteNowAsync();
            await TellFaultsAsync(Notify(TwinChangeKinds.Faults, faultsBefore));
        }
        else
        {
            if (wentOffline)
            {
                MarkDirty();
            }

            // The read side (alarms, index) learns of changes from memory queues that a crashed
            // silo took with it; a twin that comes back with faults announces them again. Raising
            // an alarm that is already open changes nothing.
            if (State.Provisioned && State.Faults.Count > 0)
            {
                await TellFaultsAsync(Notify(TwinChangeKinds.Faults, faultsBefore: []));
            }
        }

        ScheduleCheck();
        await ResumeCommandsAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await WriteNowAsync();
        }
    }

    public ValueTask<TwinDocument?> GetTwin()
    {
        if (!State.Provisioned)
        {
            return ValueTask.FromResult<TwinDocument?>(null);
        }

        // Read-only calls interleave only with each other, and this check changes state without
        // awaiting, so it cannot tear.
        if (ForgetVanishedGateway())
        {
            MarkDirty();
        }

        return ValueTask.FromResult<TwinDocument?>(_engine.ToDocument(State, Id));
    }

    public ValueTask<ImmutableArray<HistoryPoint>> GetHistory() =>
        ValueTask.FromResult(State.Provisioned ? [.. State.History] : ImmutableArray<HistoryPoint>.Empty);

    public async Task<TwinResult> MergeDesired(DesiredPatch patch)
    {
        var result = _engine.MergeDesired(State, Id, patch, Now);
        if (result.Outcome == TwinOutcome.Ok && patch.Changes.Count > 0)
        {
            await WriteNowAsync();
            LogDesiredChanged(_kind, Id, State.Version);
            Notify(TwinChangeKinds.Desired);
            if (State.SessionId is not null)
            {
                await PushDesiredAsync();
            }
        }

        return result;
    }

    public async Task<ProvisionResult> Provision(DeviceMetadata metadata)
    {
        if (State.Provisioned)
        {
            return new ProvisionResult { Outcome = TwinOutcome.AlreadyExists, Error = $"A {_kind} with id '{Id}' is already provisioned." };
        }

        var valid = MetadataRules.Validate(_engine.Kind, metadata, out var error);
        if (valid is null)
        {
            return new ProvisionResult { Outcome = TwinOutcome.Invalid, Error = error };
        }

        var secret = DeviceSecrets.NewSecret();
        _state.State = new TwinState
        {
            Provisioned = true,
            Metadata = valid,
            SecretHash = DeviceSecrets.Hash(secret),
            Version = State.Version + 1,
        };
        await WriteNowAsync();
        LogProvisioned(_kind, Id, valid.Borough);
        Notify(TwinChangeKinds.Provisioned);
        return new ProvisionResult { Outcome = TwinOutcome.Ok, Twin = _engine.ToDocument(State, Id), Secret = secret };
    }

    public async Task<ProvisionResult> RotateSecret()
    {
        if (!State.Provisioned)
        {
            return new ProvisionResult { Outcome = TwinOutcome.NotFound, Error = NotProvisioned() };
        }

        var secret = DeviceSecrets.NewSecret();
        State.SecretHash = DeviceSecrets.Hash(secret);
        State.Version++;
        await WriteNowAsync();
        LogSecretRotated(_kind, Id);
        return new ProvisionResult { Outcome = TwinOutcome.Ok, Twin = _engine.ToDocument(State, Id), Secret = secret };
    }

    public async Task<TwinResult> Decommission()
    {
        if (!State.Provisioned)
        {
            return TwinResult.Fail(TwinOutcome.NotFound, NotProvisioned());
        }

        var last = _engine.ToDocument(State, Id);
        var session = State.SessionId is { } sessionId ? new DeviceSession(_engine.Kind, Id, sessionId) : null;
        var gateway = State.Gateway;

        // Keep the version counter so a re-provisioned device never reuses an ETag.
        _state.State = new TwinState { Version = State.Version + 1 };
        await WriteNowAsync();
        LogDecommissioned(_kind, Id);
        Notify(TwinChangeKinds.Decommissioned, last.Faults, last);
        if (session is not null)
        {
            await EndSessionAsync(gateway, session, SessionEndReason.Decommissioned);
        }

        DeactivateOnIdle();
        return TwinResult.Ok(last);
    }

    public Task<AuthResult> Authenticate(string secret) => Task.FromResult(
        !State.Provisioned ? AuthResult.UnknownDevice
        : DeviceSecrets.Matches(secret, State.SecretHash) ? AuthResult.Ok
        : AuthResult.WrongSecret);

    public async Task<ReportResult> Report(DeviceReport report)
    {
        var faultsBefore = State.Faults.ToArray();
        var (result, change) = _engine.Apply(State, report, Now);
        await SaveAsync(change);
        if (result.Outcome == ReportOutcome.Applied)
        {
            await TellFaultsAsync(Notify(change == TwinChange.Durable ? TwinChangeKinds.Reported | TwinChangeKinds.Faults : TwinChangeKinds.Reported, faultsBefore));
        }

        if (result.Outcome == ReportOutcome.Rejected)
        {
            LogReportRejected(_kind, Id, result.Error);
        }

        if (change == TwinChange.Durable)
        {
            ScheduleCheck();
        }

        return result;
    }

    public async Task Connected(DeviceConnection connection)
    {
        if (!State.Provisioned)
        {
            return;
        }

        // A device has one connection: a new one takes over, wherever it landed, and the gateway
        // holding the old one closes it. The old one's late Disconnected then names a session
        // that is no longer current and is ignored.
        var replaced = State.SessionId is { } previous && previous != connection.SessionId ? new DeviceSession(_engine.Kind, Id, previous) : null;
        var replacedGateway = State.Gateway;

        var now = Now;
        var moved = !State.Connectivity.Online || State.Gateway != connection.Gateway;
        State.SessionId = connection.SessionId;
        State.Gateway = connection.Gateway;
        State.Connectivity = State.Connectivity.Online
            ? State.Connectivity with { LastSeen = now }
            : new Connectivity { Online = true, LastSeen = now, Since = now };
        State.Version++;

        // A connection that came online or moved silos is written at once: after a failover a
        // second activation of this twin may briefly exist, and a held-back write that loses to it
        // would leave the twin offline while its device stays connected. Written now, the conflict
        // fails this call instead, the gateway closes the connection, and the device's reconnect
        // reaches the surviving activation.
        await SaveAsync(moved ? TwinChange.Durable : TwinChange.Telemetry);
        LogConnected(_kind, Id, connection.SessionId, connection.Gateway);
        Notify(TwinChangeKinds.Connectivity);

        if (replaced is not null)
        {
            LogTakenOver(_kind, Id, replaced.SessionId, connection.SessionId);
            await EndSessionAsync(replacedGateway, replaced, SessionEndReason.TakenOver);
        }

        if (!TwinEngine.Delta(State).IsEmpty)
        {
            await PushDesiredAsync();
        }

        // Whatever waits for the device goes now, in order — also what an earlier connection got
        // but never answered.
        await SendOpenCommandsAsync(newConnection: true);
        ScheduleCommandTimer();
    }

    public async Task Disconnected(string sessionId)
    {
        if (!State.Provisioned || State.SessionId != sessionId)
        {
            return;
        }

        var now = Now;
        MarkOffline(lastSeen: now, since: now);
        await SaveAsync(TwinChange.Telemetry);
        LogDisconnected(_kind, Id, sessionId);
    }

    public async Task DesiredRequested(string sessionId)
    {
        // A device that (re)subscribes may have lost its settings without having reported yet:
        // it gets the desired document whenever there is one, not only while a delta is known.
        if (State.Provisioned && State.SessionId == sessionId && State.Desired is { Count: > 0 })
        {
            await PushDesiredAsync();
        }
    }

    /// <summary>
    /// Sends the desired document through the gateway holding the connection. A device that cannot
    /// be reached there (session gone, silo gone or silent) is offline: it gets the document again
    /// when it reconnects.
    /// </summary>
    private async Task PushDesiredAsync()
    {
        if (ForgetVanishedGateway())
        {
            MarkDirty();
            return;
        }

        if (State.SessionId is not { } sessionId || State.Gateway is not { } gateway || !GatewayLiveness.TryParse(gateway, out _))
        {
            return;
        }

        var document = new DesiredDocument
        {
            Version = State.Version,
            Desired = TwinEngine.Snapshot(State.Desired),
            Delta = TwinEngine.Delta(State),
        };
        var delivered = false;
        try
        {
            delivered = await GrainFactory.GetGrain<IGatewayGrain>(gateway)
                .SendDesired(new DeviceSession(_engine.Kind, Id, sessionId), document)
                .WaitAsync(GatewayTimeout);
        }
        catch (Exception exception)
        {
            LogGatewayCallFailed(exception, _kind, Id, gateway);
        }

        if (!delivered && State.SessionId == sessionId)
        {
            LogUnreachable(_kind, Id, sessionId, gateway);
            MarkOffline(lastSeen: State.Connectivity.LastSeen, since: Now);
            MarkDirty();
        }
    }

    private async Task EndSessionAsync(string? gateway, DeviceSession session, SessionEndReason reason)
    {
        if (!GatewayLiveness.TryParse(gateway, out _))
        {
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IGatewayGrain>(gateway!).EndSession(session, reason).WaitAsync(GatewayTimeout);
        }
        catch (Exception exception)
        {
            // The old connection's silo is gone or unreachable: then so is the connection.
            LogGatewayCallFailed(exception, _kind, Id, gateway!);
        }
    }

    /// <summary>Marks the device offline when its recorded gateway silo has left the cluster; true if it did.</summary>
    private bool ForgetVanishedGateway()
    {
        if (!State.Provisioned || !State.Connectivity.Online || !GatewayLiveness.TryParse(State.Gateway, out var silo))
        {
            return false;
        }

        _membership ??= ServiceProvider.GetService<IClusterMembershipService>();
        _localSilo ??= ServiceProvider.GetService<ILocalSiloDetails>()?.SiloAddress;
        if (_membership is null || _localSilo is null || !GatewayLiveness.IsGone(silo, _membership.CurrentSnapshot, _localSilo))
        {
            return false;
        }

        LogGatewayGone(_kind, Id, State.Gateway!);
        MarkOffline(lastSeen: State.Connectivity.LastSeen, since: Now);
        return true;
    }

    private void MarkOffline(DateTimeOffset? lastSeen, DateTimeOffset since)
    {
        State.SessionId = null;
        State.Gateway = null;
        State.Connectivity = new Connectivity { Online = false, LastSeen = lastSeen, Since = since };
        State.Version++;
        Notify(TwinChangeKinds.Connectivity);
    }

    /// <summary>Tells the read side (index, alarms, live events) what just changed; never blocks.</summary>
    private TwinChanged? Notify(TwinChangeKinds what, IReadOnlyList<Fault>? faultsBefore = null, TwinDocument? document = null, CommandStateChange? command = null)
    {
        if (_observers.Length == 0 && _faultObservers.Length == 0)
        {
            return null;
        }

        var twin = document ?? _engine.ToDocument(State, Id);
        var before = faultsBefore ?? State.Faults;
        var raised = twin.Faults.Where(fault => !before.Any(old => old.Code == fault.Code)).ToImmutableArray();
        var cleared = document is not null
            ? [.. before]
            : before.Where(old => !twin.Faults.Any(fault => fault.Code == old.Code)).ToImmutableArray();
        var change = new TwinChanged(twin, what, raised, cleared, Now, command);
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnTwinChanged(change);
            }
            catch (Exception exception)
            {
                LogObserverFailed(exception, _kind, Id, observer.GetType().Name);
            }
        }

        return change;
    }

    /// <summary>Hands stored fault changes to the fault observers and waits for them (see <see cref="IFaultObserver"/>).</summary>
    private async Task TellFaultsAsync(TwinChanged? change)
    {
        if (change is null || (change.Raised.IsDefaultOrEmpty && change.Cleared.IsDefaultOrEmpty))
        {
            return;
        }

        foreach (var observer in _faultObservers)
        {
            try
            {
                await observer.OnFaultsChangedAsync(change);
            }
            catch (Exception exception)
            {
                LogObserverFailed(exception, _kind, Id, observer.GetType().Name);
            }
        }
    }

    private string NotProvisioned() => $"No {_kind} '{Id}' is provisioned.";

    private Task SaveAsync(TwinChange change)
    {
        switch (change)
        {
            case TwinChange.Durable:
                return WriteNowAsync();
            case TwinChange.Telemetry:
                MarkDirty();
                return Task.CompletedTask;
            default:
                return Task.CompletedTask;
        }
    }

    /// <summary>Schedules a coalesced write of a change that may be written a little later.</summary>
    private void MarkDirty()
    {
        _dirty = true;
        _writeTimer ??= this.RegisterGrainTimer(WriteIfDirtyAsync, new GrainTimerCreationOptions(_options.TelemetryWriteDelay, Timeout.InfiniteTimeSpan));
    }

    private async Task WriteIfDirtyAsync(CancellationToken cancellationToken)
    {
        _writeTimer?.Dispose();
        _writeTimer = null;
        if (!_dirty)
        {
            return;
        }

        try
        {
            await WriteNowAsync();
        }
        catch (InconsistentStateException exception)
        {
            // Another activation wrote meanwhile (a failover): this one's state is stale, so it
            // goes, and the next call loads the stored state.
            LogCoalescedWriteConflict(exception, _kind, Id);
            DeactivateOnIdle();
        }
        catch (Exception exception)
        {
            // Stay dirty and try again after the next delay; deactivation also writes.
            _dirty = true;
            LogCoalescedWriteFailed(exception, _kind, Id);
            _writeTimer = this.RegisterGrainTimer(WriteIfDirtyAsync, new GrainTimerCreationOptions(_options.TelemetryWriteDelay, Timeout.InfiniteTimeSpan));
        }
    }

    private async Task WriteNowAsync()
    {
        _dirty = false;
        await _state.WriteStateAsync();
    }

    private void ScheduleCheck()
    {
        _checkTimer?.Dispose();
        _checkTimer = null;
        if (_engine.NextCheck(State) is not { } next)
        {
            return;
        }

        var due = next - Now;
        _checkTimer = this.RegisterGrainTimer(CheckAsync, new GrainTimerCreationOptions(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan));
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var faultsBefore = State.Faults.ToArray();
        if (_engine.Reevaluate(State, Now))
        {
            await WriteNowAsync();
            await TellFaultsAsync(Notify(TwinChangeKinds.Faults, faultsBefore));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A twin observer ({Observer}) failed on {Kind} {DeviceId}")]
    private partial void LogObserverFailed(Exception exception, string kind, string deviceId, string observer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioned {Kind} {DeviceId} in {Borough}")]
    private partial void LogProvisioned(string kind, string deviceId, string borough);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotated the secret of {Kind} {DeviceId}")]
    private partial void LogSecretRotated(string kind, string deviceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Decommissioned {Kind} {DeviceId}")]
    private partial void LogDecommissioned(string kind, string deviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Desired state of {Kind} {DeviceId} changed, now version {Version}")]
    private partial void LogDesiredChanged(string kind, string deviceId, long version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected a report of {Kind} {DeviceId}: {Error}")]
    private partial void LogReportRejected(string kind, string deviceId, string? error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {DeviceId} connected: session {SessionId} on gateway {Gateway}")]
    private partial void LogConnected(string kind, string deviceId, string sessionId, string gateway);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {DeviceId} disconnected: session {SessionId}")]
    private partial void LogDisconnected(string kind, string deviceId, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {DeviceId}: session {NewSessionId} took over from session {OldSessionId}")]
    private partial void LogTakenOver(string kind, string deviceId, string oldSessionId, string newSessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {DeviceId} is offline: its gateway silo {Gateway} has left the cluster")]
    private partial void LogGatewayGone(string kind, string deviceId, string gateway);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {DeviceId} is offline: session {SessionId} could not be reached through gateway {Gateway}")]
    private partial void LogUnreachable(string kind, string deviceId, string sessionId, string gateway);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Calling gateway {Gateway} for {Kind} {DeviceId} failed")]
    private partial void LogGatewayCallFailed(Exception exception, string kind, string deviceId, string gateway);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The coalesced state of {Kind} {DeviceId} lost to a newer write; this activation ends")]
    private partial void LogCoalescedWriteConflict(Exception exception, string kind, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the coalesced state of {Kind} {DeviceId} failed; will retry")]
    private partial void LogCoalescedWriteFailed(Exception exception, string kind, string deviceId);
}
