using System.Threading.Channels;
using Fleet.Alarms;
using Fleet.Devices;
using Fleet.Events;
using Fleet.Grains.Twins;
using Fleet.Silo.Events;
using Fleet.Twins;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Alarms;

/// <summary>
/// Turns twin changes into alarms. Told of every twin change on this silo (inside the twin's turn,
/// so it only queues), it writes the alarm lifecycle in batches — one transaction, on SQLite one
/// turn of the write lane, per batch — and publishes alarmOpened/alarmCleared events once a batch is
/// committed. The reconcile and the offline sweep go through the same queue, so one device's
/// changes are applied in order.
/// </summary>
internal sealed partial class AlarmWriter : BackgroundService, ITwinObserver, IFaultObserver
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private const TwinChangeKinds Relevant = TwinChangeKinds.Connectivity | TwinChangeKinds.Faults | TwinChangeKinds.Provisioned | TwinChangeKinds.Decommissioned;

    private readonly AlarmStore _store;
    private readonly FleetEventPublisher _events;
    private readonly AlarmOptions _options;
    private readonly TwinClock _clock;
    private readonly ILogger<AlarmWriter> _logger;
    private readonly Channel<AlarmWork> _queue;
    private readonly List<AlarmWork> _batch = [];
    private long _dropped;

    public AlarmWriter(AlarmStore store, FleetEventPublisher events, IOptions<AlarmOptions> options, TwinClock clock, ILogger<AlarmWriter> logger)
    {
        _store = store;
        _events = events;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _queue = Channel.CreateBounded<AlarmWork>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Changes dropped because the queue was full since the silo started (the reconcile repairs them).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void OnTwinChanged(TwinChanged change)
    {
        if ((change.What & Relevant) == TwinChangeKinds.None && change.Raised.IsDefaultOrEmpty && change.Cleared.IsDefaultOrEmpty)
        {
            return;
        }

        // Raised and cleared faults reach the store through OnFaultsChangedAsync, before the twin
        // answers; applied again from here, late, they could reopen an alarm cleared meanwhile.
        Enqueue(new ChangeWork(change.What.HasFlag(TwinChangeKinds.Decommissioned) ? change : change with { Raised = [], Cleared = [] }));
    }

    /// <summary>Queues work from the sweep or the reconcile; false when the queue is full.</summary>
    public bool Enqueue(AlarmWork work)
    {
        if (_queue.Writer.TryWrite(work))
        {
            return true;
        }

        if (Interlocked.Increment(ref _dropped) % 1000 == 1)
        {
            LogQueueFull(_options.QueueCapacity, Dropped);
        }

        return false;
    }

    /// <summary>Completes once everything queued before the call is written.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new FlushWork(done), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Raises and clears a twin's alarms at once, before the twin answers (see <see cref="IFaultObserver"/>);
    /// the same change arriving again through the queue then changes nothing.
    /// </summary>
    public async Task OnFaultsChangedAsync(TwinChanged change)
    {
        var transitions = await _store.WriteAsync(session => ApplyChangeAsync(session, change), CancellationToken.None);
        Publish(transitions);
    }

    /// <summary>Acknowledges an alarm (not queued: the caller waits for the answer) and publishes the event.</summary>
    public async Task<AckResult> AcknowledgeAsync(long id, string actorId, string actorName, string comment, CancellationToken cancellationToken)
    {
        AckResult? result = null;
        var transitions = await _store.WriteAsync(
            async session => result = await session.AcknowledgeAsync(id, actorId, actorName, comment, _clock.UtcNow),
            cancellationToken);
        Publish(transitions);
        return result!;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await CollectAsync(stoppingToken);
                await WriteBatchAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var work))
        {
            _batch.Add(work);
        }

        try
        {
            await WriteOnceAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            // The reconcile after the next start opens or clears what this batch would have.
            LogLostAtShutdown(exception, _batch.Count);
        }

        Done();
    }

    private async Task CollectAsync(CancellationToken stoppingToken)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        window.CancelAfter(_options.FlushInterval);
        while (true)
        {
            while (_batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var work))
            {
                _batch.Add(work);
                if (work is FlushWork)
                {
                    return;
                }
            }

            if (_batch.Count >= _options.BatchSize)
            {
                return;
            }

            try
            {
                if (!await _queue.Reader.WaitToReadAsync(window.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task WriteBatchAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        while (true)
        {
            try
            {
                await WriteOnceAsync(CancellationToken.None);
                Done();
                return;
            }
            catch (Exception exception)
            {
                LogWriteFailed(exception, _batch.Count, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task WriteOnceAsync(CancellationToken cancellationToken)
    {
        if (!_batch.Any(work => work is not FlushWork))
        {
            return;
        }

        var transitions = await _store.WriteAsync(
            async session =>
            {
                foreach (var work in _batch)
                {
                    await ApplyAsync(session, work);
                }
            },
            cancellationToken);
        Publish(transitions);
    }

    private async Task ApplyAsync(AlarmWriteSession session, AlarmWork work)
    {
        switch (work)
        {
            case ChangeWork { Change: var change }:
                await ApplyChangeAsync(session, change);
                break;
            case ReconcileWork reconcile:
                await ApplyReconcileAsync(session, reconcile);
                break;
            case OfflineWork offline:
                if (await session.MarkOfflineAlarmAsync(offline.Device.Kind, offline.Device.DeviceId))
                {
                    var now = _clock.UtcNow;
                    await session.RaiseAsync(offline.Device.Kind, offline.Device.DeviceId, offline.Device.Borough, AlarmTypes.Offline, offline.Detail, now, now - _options.HoldWindow, now);
                }

                break;
        }
    }

    private async Task ApplyChangeAsync(AlarmWriteSession session, TwinChanged change)
    {
        var twin = change.Twin;
        var at = change.At;
        if (change.What.HasFlag(TwinChangeKinds.Decommissioned))
        {
            await session.ClearAllAsync(twin.Kind, twin.Id, at, "The device was decommissioned.");
            await session.ForgetDeviceAsync(twin.Kind, twin.Id);
            return;
        }

        await session.SaveDeviceAsync(Device(twin));
        if (twin.Connectivity.Online)
        {
            await session.ClearAsync(twin.Kind, twin.Id, AlarmTypes.Offline, at);
        }

        foreach (var fault in change.Raised.IsDefault ? [] : change.Raised)
        {
            await session.RaiseAsync(twin.Kind, twin.Id, twin.Metadata.Borough, fault.Code, fault.Detail, fault.Since, at - _options.HoldWindow, at);
        }

        foreach (var fault in change.Cleared.IsDefault ? [] : change.Cleared)
        {
            await session.ClearAsync(twin.Kind, twin.Id, fault.Code, at);
        }
    }

    /// <summary>
    /// Makes a device's open fault alarms match its twin as read from the grain — unless a newer
    /// change of the twin has been applied meanwhile, which is then the truth.
    /// </summary>
    private async Task ApplyReconcileAsync(AlarmWriteSession session, ReconcileWork work)
    {
        var at = work.At;
        if (work.Twin is not { } twin)
        {
            await session.ClearAllAsync(work.Kind, work.DeviceId, at, "The device is no longer provisioned.");
            await session.ForgetDeviceAsync(work.Kind, work.DeviceId);
            return;
        }

        if (await session.DeviceVersionAsync(twin.Kind, twin.Id) is { } applied && applied > twin.Version)
        {
            return;
        }

        await session.SaveDeviceAsync(Device(twin));
        var open = await session.OpenAlarmsAsync(twin.Kind, twin.Id);
        foreach (var fault in twin.Faults)
        {
            if (!open.Any(alarm => alarm.Type == fault.Code))
            {
                LogReconciled(twin.Kind, twin.Id, fault.Code, "opened");
                await session.RaiseAsync(twin.Kind, twin.Id, twin.Metadata.Borough, fault.Code, fault.Detail, fault.Since, at - _options.HoldWindow, at);
            }
        }

        foreach (var alarm in open)
        {
            var stale = alarm.Type == AlarmTypes.Offline ? twin.Connectivity.Online : !twin.Faults.Any(fault => fault.Code == alarm.Type);
            if (stale)
            {
                LogReconciled(twin.Kind, twin.Id, alarm.Type, "cleared");
                await session.ClearAsync(twin.Kind, twin.Id, alarm.Type, at);
            }
        }
    }

    private static AlarmDevice Device(TwinDocument twin) =>
        new(twin.Kind, twin.Id, twin.Metadata.Borough, twin.Connectivity.Online, twin.Connectivity.LastSeen, twin.Version);

    private void Publish(List<AlarmTransition> transitions)
    {
        foreach (var (type, alarm) in transitions)
        {
            _events.Publish(new FleetEvent
            {
                Type = type,
                Kind = alarm.Kind,
                DeviceId = alarm.DeviceId,
                Borough = alarm.Borough,
                At = alarm.UpdatedAt,
                Alarm = alarm,
            });
        }
    }

    private void Done()
    {
        foreach (var work in _batch)
        {
            if (work is FlushWork flush)
            {
                flush.Done.TrySetResult();
            }
        }

        _batch.Clear();
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "The alarm queue is full ({Capacity}); {Dropped} changes dropped so far, the reconcile repairs them")]
    private partial void LogQueueFull(int capacity, long dropped);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "Writing {Count} alarm changes failed; retrying in {Seconds:0.0} s")]
    private partial void LogWriteFailed(Exception exception, int count, double seconds);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Lost {Count} alarm changes at shutdown; the reconcile after the next start repairs them")]
    private partial void LogLostAtShutdown(Exception exception, int count);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Information, Message = "Reconcile: {Kind} {DeviceId} alarm {Type} {What}")]
    private partial void LogReconciled(DeviceKind kind, string deviceId, string type, string what);
}

/// <summary>Something for the alarm writer to apply.</summary>
internal abstract record AlarmWork;

internal sealed record ChangeWork(TwinChanged Change) : AlarmWork;

/// <summary>Bring a device's alarms in line with its twin as just read from the grain (null: not provisioned).</summary>
internal sealed record ReconcileWork(DeviceKind Kind, string DeviceId, TwinDocument? Twin, DateTimeOffset At) : AlarmWork;

/// <summary>The sweep found the device past its offline threshold.</summary>
internal sealed record OfflineWork(AlarmDevice Device, string Detail) : AlarmWork;

internal sealed record FlushWork(TaskCompletionSource Done) : AlarmWork;
