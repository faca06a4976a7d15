using Fleet.Devices;
using Fleet.Grains;
using Fleet.Grains.Index;
using Fleet.Grains.Twins;
using Fleet.Queries;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Alarms;

/// <summary>
/// Repairs what the alarm writer missed — changes queued when a silo crashed, or dropped from a
/// full queue — so no fault is left without its alarm and no alarm outlives its fault. It runs
/// <see cref="AlarmOptions.ReconcileDelay"/> after the silo starts (time for the fleet index to
/// catch up) and then every <see cref="AlarmOptions.ReconcileInterval"/>:
/// <list type="number">
/// <item>every device the fleet index lists with a fault (one query per fault code, in pages) whose
/// alarm of that code is not open is read from its twin grain and reconciled;</item>
/// <item>every open fault alarm whose device the index does not list with that fault is read from
/// its twin grain and reconciled (cleared when the twin no longer has the fault);</item>
/// <item>offline devices the index knows to have been heard of are added to fleet_alarm_devices
/// when missing, so the offline sweep sees them.</item>
/// </list>
/// Only devices that disagree are read from their grains, and what a grain says goes through the
/// writer's queue, after any change it is racing with.
/// </summary>
internal sealed partial class AlarmReconciler(
    AlarmStore store,
    AlarmWriter writer,
    IGrainFactory grains,
    IServiceProvider services,
    IOptions<AlarmOptions> options,
    TwinClock clock,
    ILogger<AlarmReconciler> logger) : BackgroundService
{
    private const int PageSize = 500;
    private const int ParallelReads = 8;

    private readonly AlarmOptions _options = options.Value;

    /// <summary>Reconcile passes completed since the silo started.</summary>
    public int Passes { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await store.Database.SchemaApplied.WaitAsync(stoppingToken);
            await Task.Delay(_options.ReconcileDelay, stoppingToken);
            while (true)
            {
                try
                {
                    var (opened, cleared) = await ReconcileAsync(stoppingToken);
                    LogReconciled(opened, cleared);
                    Passes++;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogFailed(exception);
                }

                if (_options.ReconcileInterval <= TimeSpan.Zero)
                {
                    return;
                }

                await Task.Delay(_options.ReconcileInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>One pass; returns how many devices were handed to the writer for a missing and for a stale alarm.</summary>
    internal async Task<(int Missing, int Stale)> ReconcileAsync(CancellationToken cancellationToken)
    {
        var index = services.GetService<IFleetIndexReader>();
        var faulty = new HashSet<(DeviceKind Kind, string Id, string Code)>();
        var suspects = new HashSet<(DeviceKind Kind, string Id)>();
        var missing = 0;
        if (index is not null)
        {
            foreach (var code in DeviceQuery.KnownFaults)
            {
                await foreach (var page in PagesAsync(index, new DeviceQuery { Fault = code, Limit = PageSize }, cancellationToken))
                {
                    foreach (var group in page.GroupBy(device => device.Kind))
                    {
                        var ids = group.Select(device => device.Id).ToList();
                        var open = (await store.OpenAlarmsOfAsync(group.Key, ids, cancellationToken))
                            .Where(alarm => alarm.Type == code)
                            .Select(alarm => alarm.DeviceId)
                            .ToHashSet(StringComparer.Ordinal);
                        foreach (var id in ids)
                        {
                            faulty.Add((group.Key, id, code));
                            if (!open.Contains(id) && suspects.Add((group.Key, id)))
                            {
                                missing++;
                            }
                        }
                    }
                }
            }

            await SeedOfflineDevicesAsync(index, cancellationToken);
        }
        else
        {
            LogNoIndex();
        }

        var stale = 0;
        long after = 0;
        while (true)
        {
            var alarms = await store.OpenFaultAlarmsAsync(after, PageSize, cancellationToken);
            foreach (var alarm in alarms.Where(alarm => !faulty.Contains((alarm.Kind, alarm.DeviceId, alarm.Type))))
            {
                if (suspects.Add((alarm.Kind, alarm.DeviceId)))
                {
                    stale++;
                }
            }

            if (alarms.Count < PageSize)
            {
                break;
            }

            after = alarms[^1].Id;
        }

        await Parallel.ForEachAsync(
            suspects,
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (device, _) =>
            {
                var twin = await grains.GetTwin(device.Kind, device.Id).GetTwin();
                writer.Enqueue(new ReconcileWork(device.Kind, device.Id, twin, clock.UtcNow));
            });
        return (missing, stale);
    }

    /// <summary>Adds offline devices that have been heard of and that fleet_alarm_devices lacks (it never overwrites a row).</summary>
    private async Task SeedOfflineDevicesAsync(IFleetIndexReader index, CancellationToken cancellationToken)
    {
        await foreach (var page in PagesAsync(index, new DeviceQuery { Online = false, Sort = DeviceSort.LastSeenDescending, Limit = PageSize }, cancellationToken))
        {
            var seen = page.Where(device => device.LastSeen is not null).ToList();
            if (seen.Count == 0)
            {
                return; // Sorted by last seen: only never-seen devices follow.
            }

            await store.WriteAsync(
                async session =>
                {
                    foreach (var device in seen)
                    {
                        await session.SeedDeviceAsync(new AlarmDevice(device.Kind, device.Id, device.Borough, false, device.LastSeen, device.Version));
                    }
                },
                cancellationToken);
        }
    }

    private static async IAsyncEnumerable<IReadOnlyList<DeviceSummary>> PagesAsync(
        IFleetIndexReader index, DeviceQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await index.QueryDevicesAsync(query, cancellationToken);
            if (result.Page is not { } page)
            {
                throw new InvalidOperationException("The fleet index refused the reconcile's query: " + result.Problem);
            }

            yield return page.Items;
            if (page.Next is not { } next)
            {
                yield break;
            }

            query = query with { Cursor = next };
        }
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Information, Message = "Alarm reconcile: {Missing} device(s) with a fault but no alarm, {Stale} with an alarm but maybe no fault, handed to the writer")]
    private partial void LogReconciled(int missing, int stale);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Warning, Message = "The alarm reconcile failed; it runs again at the next interval")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(EventId = 7303, Level = LogLevel.Warning, Message = "No fleet index in this silo: the alarm reconcile checks open alarms only")]
    private partial void LogNoIndex();
}
