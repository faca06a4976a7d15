using System.Globalization;
using Fleet.Grains.Gateway;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Index;

/// <summary>
/// Rebuilds the fleet index from the twins in grain storage — at start when the index is empty or
/// of an older format, and on demand (POST /api/devices/index/rebuild). No grain is activated.
/// </summary>
/// <remarks>
/// The index keeps serving while it runs, and live changes keep flowing: every row is written
/// through the same version guard, so a stored twin older than what the index already shows
/// changes nothing. Afterwards the rows of devices that are not stored (any more) are swept, unless
/// they were written after the rebuild began. A twin's telemetry that its grain has not written
/// yet (Fleet:Twins:TelemetryWriteDelay) reaches the index with the twin's next change, not here.
/// </remarks>
internal sealed partial class IndexRebuilder(
    FleetIndexStore store,
    StoredTwins twins,
    IOptions<FleetIndexOptions> options,
    TimeProvider time,
    IServiceProvider services,
    ILogger<IndexRebuilder> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private RebuildStatus? _status;
    private Task? _running;

    /// <summary>The running rebuild, or the last one of this silo; null if there was none.</summary>
    public RebuildStatus? Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Starts a rebuild unless one is running; returns its status either way.</summary>
    public RebuildStatus Start(string reason)
    {
        lock (_gate)
        {
            if (_status is { State: RebuildState.Running })
            {
                return _status;
            }

            _status = new RebuildStatus(RebuildState.Running, reason, time.GetUtcNow());
            var started = _status;
            _running = Task.Run(() => RunAsync(started, _stopping.Token), CancellationToken.None);
            return _status;
        }
    }

    /// <summary>At start: rebuilds in the background when the index is empty or was built by another format.</summary>
    public void StartIfNeeded()
    {
        lock (_gate)
        {
            _running = Task.Run(() => CheckAsync(_stopping.Token), CancellationToken.None);
        }
    }

    /// <summary>Completes when the running rebuild (if any) has ended.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        Task? running;
        lock (_gate)
        {
            running = _running;
        }

        if (running is not null)
        {
            await running.WaitAsync(cancellationToken);
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        Task? running;
        lock (_gate)
        {
            running = _running;
        }

        if (running is not null)
        {
            await running;
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var format = await store.ReadMarkerAsync(FleetIndexStore.FormatMarker, cancellationToken);
            var reason = format != IndexEntry.Format.ToString(CultureInfo.InvariantCulture)
                ? format is null ? "the index has never been built" : $"the index has format {format}, this silo writes format {IndexEntry.Format}"
                : await store.IsEmptyAsync(cancellationToken) ? "the index is empty" : null;
            if (reason is null)
            {
                return;
            }

            RebuildStatus started;
            lock (_gate)
            {
                if (_status is { State: RebuildState.Running })
                {
                    return;
                }

                started = _status = new RebuildStatus(RebuildState.Running, reason, time.GetUtcNow());
            }

            await RunAsync(started, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
        catch (Exception exception)
        {
            LogCheckFailed(exception);
        }
    }

    private async Task RunAsync(RebuildStatus started, CancellationToken cancellationToken)
    {
        LogStarted(started.Reason);
        var status = started;
        void Report(RebuildStatus next)
        {
            status = next;
            lock (_gate)
            {
                _status = next;
            }
        }

        try
        {
            var membership = services.GetService<IClusterMembershipService>();
            var local = services.GetService<ILocalSiloDetails>()?.SiloAddress;
            var pageSize = options.Value.RebuildPageSize;
            var seen = new HashSet<DeviceKey>();
            StoredTwins.Position? position = null;
            do
            {
                var (page, next) = await twins.ReadPageAsync(position, pageSize, cancellationToken);
                position = next;
                var changes = new List<IndexChange>(page.Count);
                foreach (var twin in page)
                {
                    var key = new DeviceKey(twin.Kind, twin.Id);
                    if (!twin.State.Provisioned)
                    {
                        // Decommissioned (or never provisioned): the version it went at keeps stale writes out.
                        if (twin.State.Version > 0)
                        {
                            changes.Add(IndexChange.Remove(key, twin.State.Version));
                        }

                        continue;
                    }

                    seen.Add(key);
                    var online = twin.State.Connectivity.Online && !GatewayGone(twin.State.Gateway, membership, local);
                    var consumption = twin.Kind == Devices.DeviceKind.Meter && twin.State.Metadata.Medium is { } medium
                        ? twin.State.History.Select(point => new ConsumptionPoint(point.At, point.Value, twin.State.Metadata.Borough, medium)).ToList()
                        : null;
                    changes.Add(IndexChange.Upsert(IndexEntry.From(twin.Kind, twin.Id, twin.State, online), consumption));
                }

                var now = time.GetUtcNow();
                var applied = await store.ApplyAsync(changes, now, now - options.Value.ConsumptionRetention, cancellationToken);
                Report(status with { Twins = status.Twins + page.Count, Written = status.Written + applied });
            }
            while (position is not null);

            var swept = await store.SweepAsync(seen, started.StartedAt, pageSize, cancellationToken);
            await store.PurgeConsumptionAsync(time.GetUtcNow() - options.Value.ConsumptionRetention, cancellationToken);
            await store.WriteMarkerAsync(FleetIndexStore.FormatMarker, IndexEntry.Format.ToString(CultureInfo.InvariantCulture), cancellationToken);
            var finished = time.GetUtcNow();
            await store.WriteMarkerAsync(FleetIndexStore.RebuiltAtMarker, finished.ToString("O", CultureInfo.InvariantCulture), cancellationToken);
            Report(status with { State = RebuildState.Completed, Swept = swept, FinishedAt = finished });
            LogCompleted(status.Twins, status.Written, swept, (finished - started.StartedAt).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Report(status with { State = RebuildState.Failed, FinishedAt = time.GetUtcNow(), Error = "The silo stopped before the rebuild finished." });
        }
        catch (Exception exception)
        {
            LogFailed(exception);
            Report(status with { State = RebuildState.Failed, FinishedAt = time.GetUtcNow(), Error = exception.Message });
        }
    }

    /// <summary>A twin stored as online through a gateway silo that has left is offline, as its grain will say when it wakes.</summary>
    private static bool GatewayGone(string? gateway, IClusterMembershipService? membership, SiloAddress? local) =>
        membership is not null && local is not null
        && GatewayLiveness.TryParse(gateway, out var silo)
        && GatewayLiveness.IsGone(silo, membership.CurrentSnapshot, local);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Rebuilding the fleet index from the stored twins: {Reason}")]
    private partial void LogStarted(string reason);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Rebuilt the fleet index: {Twins} stored twins read, {Written} rows written, {Swept} rows of unknown devices removed, in {ElapsedMilliseconds:F0} ms")]
    private partial void LogCompleted(long twins, long written, long swept, double elapsedMilliseconds);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Error, Message = "Rebuilding the fleet index failed")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(EventId = 6204, Level = LogLevel.Error, Message = "Checking whether the fleet index needs a rebuild failed")]
    private partial void LogCheckFailed(Exception exception);
}

public enum RebuildState
{
    Running,
    Completed,
    Failed,
}

/// <summary>A rebuild of the fleet index on this silo: why, how far, how it ended.</summary>
public sealed record RebuildStatus(RebuildState State, string Reason, DateTimeOffset StartedAt)
{
    /// <summary>Stored twins read so far (decommissioned ones included).</summary>
    public long Twins { get; init; }

    /// <summary>Index rows written (those the index did not already show at a newer version).</summary>
    public long Written { get; init; }

    /// <summary>Rows of devices no longer stored, removed at the end.</summary>
    public long Swept { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public string? Error { get; init; }
}
