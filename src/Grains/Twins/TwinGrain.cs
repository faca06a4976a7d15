using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Twins;
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
    private readonly IPersistentState<TwinState> _state;
    private readonly TwinEngine _engine;
    private readonly TwinOptions _options;
    private readonly TwinClock _clock;
    private readonly ILogger _logger;
    private readonly string _kind;
    private IGrainTimer? _writeTimer;
    private IGrainTimer? _checkTimer;
    private bool _dirty;

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
        if (_engine.Reevaluate(State, Now))
        {
            await WriteNowAsync();
        }

        ScheduleCheck();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await WriteNowAsync();
        }
    }

    public ValueTask<TwinDocument?> GetTwin() =>
        ValueTask.FromResult(State.Provisioned ? _engine.ToDocument(State, Id) : null);

    public ValueTask<ImmutableArray<HistoryPoint>> GetHistory() =>
        ValueTask.FromResult(State.Provisioned ? [.. State.History] : ImmutableArray<HistoryPoint>.Empty);

    public async Task<TwinResult> MergeDesired(DesiredPatch patch)
    {
        var result = _engine.MergeDesired(State, Id, patch, Now);
        if (result.Outcome == TwinOutcome.Ok && patch.Changes.Count > 0)
        {
            await WriteNowAsync();
            LogDesiredChanged(_kind, Id, State.Version);
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

        // Keep the version counter so a re-provisioned device never reuses an ETag.
        _state.State = new TwinState { Version = State.Version + 1 };
        await WriteNowAsync();
        LogDecommissioned(_kind, Id);
        DeactivateOnIdle();
        return TwinResult.Ok(last);
    }

    public Task<AuthResult> Authenticate(string secret) => Task.FromResult(
        !State.Provisioned ? AuthResult.UnknownDevice
        : DeviceSecrets.Matches(secret, State.SecretHash) ? AuthResult.Ok
        : AuthResult.WrongSecret);

    public async Task<ReportResult> Report(DeviceReport report)
    {
        var (result, change) = _engine.Apply(State, report, Now);
        await SaveAsync(change);
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

        var now = Now;
        State.SessionId = connection.SessionId;
        State.Gateway = connection.Gateway;
        State.Connectivity = State.Connectivity.Online
            ? State.Connectivity with { LastSeen = now }
            : new Connectivity { Online = true, LastSeen = now, Since = now };
        State.Version++;
        await SaveAsync(TwinChange.Telemetry);
    }

    public async Task Disconnected(string sessionId)
    {
        if (!State.Provisioned || State.SessionId != sessionId)
        {
            return;
        }

        var now = Now;
        State.SessionId = null;
        State.Gateway = null;
        State.Connectivity = new Connectivity { Online = false, LastSeen = now, Since = now };
        State.Version++;
        await SaveAsync(TwinChange.Telemetry);
    }

    private string NotProvisioned() => $"No {_kind} '{Id}' is provisioned.";

    private Task SaveAsync(TwinChange change)
    {
        switch (change)
        {
            case TwinChange.Durable:
                return WriteNowAsync();
            case TwinChange.Telemetry:
                _dirty = true;
                _writeTimer ??= this.RegisterGrainTimer(WriteIfDirtyAsync, new GrainTimerCreationOptions(_options.TelemetryWriteDelay, Timeout.InfiniteTimeSpan));
                return Task.CompletedTask;
            default:
                return Task.CompletedTask;
        }
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
        catch (Exception exception) when (exception is not InconsistentStateException)
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
        if (_engine.Reevaluate(State, Now))
        {
            await WriteNowAsync();
        }
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the coalesced state of {Kind} {DeviceId} failed; will retry")]
    private partial void LogCoalescedWriteFailed(Exception exception, string kind, string deviceId);
}
