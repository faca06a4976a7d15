using System.Diagnostics;
using Fleet.Devices;
using Fleet.Grains.Twins;
using Fleet.Twins;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Index;

/// <summary>
/// Carries twin changes into the index. Grains tell it of every change inside their turn; it only
/// notes the change in a map keyed by device — the newest version replaces an older one, meter
/// consumption accumulates — and returns. A loop writes the map as one transaction of
/// version-guarded upserts at most <see cref="FleetIndexOptions.FlushInterval"/> after its first
/// change, or sooner once <see cref="FleetIndexOptions.BatchSize"/> devices are waiting.
/// </summary>
/// <remarks>
/// The map is the bounded queue: it holds at most one entry per device however fast devices
/// report, so a slow or failing database coalesces changes instead of blocking grains or growing
/// without bound, and a burst costs one row per device. A failed write goes back into the map
/// (newer changes win) and is retried with a growing pause. One per silo; it starts and stops with
/// the silo, after the grains have deactivated, so their last changes are written.
/// </remarks>
internal sealed partial class TwinIndexWriter : ITwinObserver, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);

    private readonly FleetIndexStore _store;
    private readonly IndexRebuilder _rebuilder;
    private readonly FleetIndexOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TwinIndexWriter> _logger;
    private readonly Lock _gate = new();

    private Dictionary<DeviceKey, PendingChange> _pending = [];
    private TaskCompletionSource _arrived = NewSignal();
    private TaskCompletionSource _full = NewSignal();
    private long _firstArrival;

    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private DateTimeOffset _lastPurge = DateTimeOffset.MinValue;

    // Figures for GET /api/devices/index, written by the loop only.
    private long _written;
    private long _batches;
    private long _failures;
    private DateTimeOffset? _lastFlushAt;
    private TimeSpan _lastLag;
    private TimeSpan _maxLag;

    public TwinIndexWriter(FleetIndexStore store, IndexRebuilder rebuilder, IOptions<FleetIndexOptions> options, TimeProvider time, ILogger<TwinIndexWriter> logger)
    {
        _store = store;
        _rebuilder = rebuilder;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public void OnTwinChanged(TwinChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.What == TwinChangeKinds.Command)
        {
            return;
        }

        var twin = change.Twin;
        var key = new DeviceKey(twin.Kind, twin.Id);
        var consumption = ConsumptionOf(change);
        var removed = change.What.HasFlag(TwinChangeKinds.Decommissioned);
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var pending))
            {
                pending.Add(twin, removed, consumption);
            }
            else
            {
                _pending[key] = new PendingChange(twin, removed, consumption, Stopwatch.GetTimestamp());
                if (_pending.Count == 1)
                {
                    _firstArrival = Stopwatch.GetTimestamp();
                    _arrived.TrySetResult();
                }
            }

            if (_pending.Count >= _options.BatchSize)
            {
                _full.TrySetResult();
            }
        }
    }

    /// <summary>Devices waiting to be written.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public IndexWriterStatus Status() => new(
        Pending, Interlocked.Read(ref _written), Interlocked.Read(ref _batches), Interlocked.Read(ref _failures),
        _lastFlushAt, _lastLag.TotalMilliseconds, _maxLag.TotalMilliseconds);

    public void Participate(ISiloLifecycle lifecycle)
    {
        // Started before grains take calls and stopped after they have deactivated (BecomeActive
        // stops before ApplicationServices), while grain storage (RuntimeStorageServices) still runs.
        lifecycle.Subscribe(nameof(TwinIndexWriter), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
        lifecycle.Subscribe(nameof(TwinIndexWriter) + ".Rebuild", ServiceLifecycleStage.Active, _ =>
        {
            if (_options.RebuildOnStart)
            {
                _rebuilder.StartIfNeeded();
            }

            return Task.CompletedTask;
        });
    }

    public void Dispose() => _stopping?.Dispose();

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        var stopping = _stopping.Token;
        _loop = Task.Run(() => RunAsync(stopping), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null || _loop is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _loop;
        await _rebuilder.StopAsync();
        if (!await WriteAsync(CancellationToken.None))
        {
            LogLostAtShutdown(Pending);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var retryDelay = FirstRetryDelay;
        try
        {
            while (true)
            {
                Task arrived;
                lock (_gate)
                {
                    arrived = _arrived.Task;
                }

                await arrived.WaitAsync(stopping);

                TimeSpan wait;
                Task full;
                lock (_gate)
                {
                    wait = _options.FlushInterval - Stopwatch.GetElapsedTime(_firstArrival);
                    full = _full.Task;
                }

                if (wait > TimeSpan.Zero)
                {
                    await Task.WhenAny(full, Task.Delay(wait, stopping));
                    stopping.ThrowIfCancellationRequested();
                }

                if (await WriteAsync(CancellationToken.None))
                {
                    retryDelay = FirstRetryDelay;
                    await PurgeIfDueAsync();
                }
                else
                {
                    await Task.Delay(retryDelay, stopping);
                    retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    /// <summary>Takes the map and writes it in transactions of BatchSize devices; false (the rest back in the map) on failure.</summary>
    private async Task<bool> WriteAsync(CancellationToken cancellationToken)
    {
        Dictionary<DeviceKey, PendingChange> batch;
        lock (_gate)
        {
            batch = _pending;
            _pending = [];
            _arrived = NewSignal();
            _full = NewSignal();
        }

        if (batch.Count == 0)
        {
            return true;
        }

        var entries = batch.ToList();
        var done = 0;
        try
        {
            var now = _time.GetUtcNow();
            var cutoff = now - _options.ConsumptionRetention;
            foreach (var chunk in entries.Chunk(_options.BatchSize))
            {
                var changes = chunk.Select(pair => pair.Value.ToChange(pair.Key)).ToList();
                var applied = await _store.ApplyAsync(changes, _time.GetUtcNow(), cutoff, cancellationToken);
                done += chunk.Length;
                var lag = Stopwatch.GetElapsedTime(chunk.Min(pair => pair.Value.FirstArrival));
                _lastLag = lag;
                _maxLag = lag > _maxLag ? lag : _maxLag;
                _lastFlushAt = _time.GetUtcNow();
                Interlocked.Add(ref _written, applied);
                Interlocked.Increment(ref _batches);
                LogWrote(chunk.Length, applied, lag.TotalMilliseconds);
            }

            return true;
        }
        catch (Exception exception)
        {
            Interlocked.Increment(ref _failures);
            LogWriteFailed(exception, entries.Count - done);
            lock (_gate)
            {
                foreach (var (key, failed) in entries.Skip(done))
                {
                    if (_pending.TryGetValue(key, out var newer))
                    {
                        newer.Absorb(failed);
                    }
                    else
                    {
                        _pending[key] = failed;
                    }
                }

                if (_pending.Count > 0)
                {
                    _firstArrival = Math.Min(_firstArrival, entries.Skip(done).Min(pair => pair.Value.FirstArrival));
                    _arrived.TrySetResult();
                }
            }

            return false;
        }
    }

    private async Task PurgeIfDueAsync()
    {
        var now = _time.GetUtcNow();
        if (now - _lastPurge < PurgeInterval)
        {
            return;
        }

        _lastPurge = now;
        try
        {
            var purged = await _store.PurgeConsumptionAsync(now - _options.ConsumptionRetention, CancellationToken.None);
            LogPurged(purged);
        }
        catch (Exception exception)
        {
            LogPurgeFailed(exception);
        }
    }

    /// <summary>The register step a meter's report brought, at the report's time; null for anything else.</summary>
    private static ConsumptionPoint? ConsumptionOf(TwinChanged change)
    {
        var twin = change.Twin;
        return twin.Kind == DeviceKind.Meter
               && change.What.HasFlag(TwinChangeKinds.Reported)
               && twin.Reported.TryGetValue("consumption", out var value) && value.Type == TwinValueType.Number
               && twin.Timestamps.Reported.TryGetValue("consumption", out var at)
               && twin.Metadata.Medium is { } medium
            ? new ConsumptionPoint(at, value.Number, twin.Metadata.Borough, medium)
            : null;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A device's changes since the last write: the newest twin and the consumption on the way.</summary>
    private sealed class PendingChange(TwinDocument twin, bool removed, ConsumptionPoint? consumption, long firstArrival)
    {
        private List<ConsumptionPoint>? _consumption = consumption is { } point ? [point] : null;

        public TwinDocument Twin { get; private set; } = twin;

        public bool Removed { get; private set; } = removed;

        public long FirstArrival { get; private set; } = firstArrival;

        /// <summary>A later change of the same device (changes of one device arrive in order, so equal versions take the later).</summary>
        public void Add(TwinDocument twin, bool removed, ConsumptionPoint? consumption)
        {
            if (twin.Version >= Twin.Version)
            {
                Twin = twin;
                Removed = removed;
            }

            if (consumption is { } point && (_consumption ??= []).LastOrDefault() != point)
            {
                _consumption.Add(point);
            }
        }

        /// <summary>Takes back an older, unwritten change: its consumption, and its twin only if this one is older.</summary>
        public void Absorb(PendingChange older)
        {
            if (older.Twin.Version > Twin.Version)
            {
                Twin = older.Twin;
                Removed = older.Removed;
            }

            if (older._consumption is { } points)
            {
                _consumption = [.. points, .. _consumption ?? []];
            }

            FirstArrival = Math.Min(FirstArrival, older.FirstArrival);
        }

        public IndexChange ToChange(DeviceKey key) => Removed
            ? IndexChange.Remove(key, Twin.Version)
            : IndexChange.Upsert(IndexEntry.From(Twin), _consumption);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Wrote {Devices} device changes to the fleet index ({Applied} newer than the index), {LagMilliseconds:F0} ms after the first")]
    private partial void LogWrote(int devices, int applied, double lagMilliseconds);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Writing {Devices} device changes to the fleet index failed; they stay queued and are retried")]
    private partial void LogWriteFailed(Exception exception, int devices);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Lost {Devices} device changes of the fleet index at shutdown; POST /api/devices/index/rebuild restores them from the twins")]
    private partial void LogLostAtShutdown(int devices);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Debug, Message = "Purged {Rows} meter consumption rows older than the retention")]
    private partial void LogPurged(int rows);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "Purging old meter consumption from the fleet index failed; will try again")]
    private partial void LogPurgeFailed(Exception exception);
}

/// <summary>How the index writer of this silo is doing (GET /api/devices/index).</summary>
public sealed record IndexWriterStatus(
    int Pending,
    long Written,
    long Batches,
    long Failures,
    DateTimeOffset? LastFlushAt,
    double LastLagMs,
    double MaxLagMs);
