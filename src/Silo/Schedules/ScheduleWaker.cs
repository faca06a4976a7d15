using Fleet.Schedules;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Schedules;

/// <summary>
/// The durable stand-in for reminders, which the embedded store lacks: on start and every
/// <see cref="ScheduleOptions.WakeInterval"/> each silo wakes every schedule in the directory. A
/// wake starts a step that is due and not yet started (its job id makes a repeat harmless) and sets
/// the schedule's timer; several silos waking the same schedule is therefore harmless too.
/// </summary>
internal sealed partial class ScheduleWaker(
    IGrainFactory grains,
    IOptions<ScheduleOptions> options,
    ILogger<ScheduleWaker> logger) : BackgroundService
{
    private const int Parallelism = 8;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(options.Value.WakeInterval);
            do
            {
                try
                {
                    await WakeAllAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogWakeFailed(exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>Wakes every schedule once; a schedule that no longer exists leaves the directory.</summary>
    internal async Task WakeAllAsync(CancellationToken cancellationToken)
    {
        var directory = grains.GetGrain<IScheduleDirectoryGrain>(0);
        var ids = await directory.List();
        await Parallel.ForEachAsync(
            ids,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (id, _) =>
            {
                try
                {
                    if (!await grains.GetGrain<IScheduleGrain>(id).Wake())
                    {
                        await directory.Remove(id);
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogScheduleWakeFailed(exception, id);
                }
            });
    }

    [LoggerMessage(EventId = 8201, Level = LogLevel.Warning, Message = "Waking the schedules failed; the next interval tries again")]
    private partial void LogWakeFailed(Exception exception);

    [LoggerMessage(EventId = 8202, Level = LogLevel.Warning, Message = "Waking schedule {ScheduleId} failed; the next interval tries again")]
    private partial void LogScheduleWakeFailed(Exception exception, string scheduleId);
}
