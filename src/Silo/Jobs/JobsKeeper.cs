using Fleet.Jobs;

namespace Fleet.Silo.Jobs;

/// <summary>
/// The durable stand-in for reminders (the embedded SQLite store has no reminder table): soon after
/// the silo starts, and every minute after, it activates every running job, which resumes its
/// rollout from its stored state. Activating a job that already runs costs one call.
/// </summary>
public sealed partial class JobsKeeper(IGrainFactory grains, ILogger<JobsKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan FirstWake = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstWake;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, stoppingToken);
                await grains.GetGrain<IJobDirectoryGrain>(0).WakeRunning();
                delay = Every;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogWakeFailed(exception);
                delay = FirstWake;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waking the running jobs failed; trying again shortly")]
    private partial void LogWakeFailed(Exception exception);
}

public static class JobsExtensions
{
    /// <summary>Bulk jobs: the keeper that resumes running jobs after a restart.</summary>
    public static IServiceCollection AddFleetJobs(this IServiceCollection services) => services.AddHostedService<JobsKeeper>();
}
