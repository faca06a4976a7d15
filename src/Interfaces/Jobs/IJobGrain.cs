using System.Collections.Immutable;

namespace Fleet.Jobs;

/// <summary>
/// One bulk job, keyed by its id. It splits its targets into parts of bounded size and starts them
/// at the job's rate; its state (and its parts') is stored, so a silo restart resumes it.
/// </summary>
[Alias("Fleet.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Resolves the targets and starts rolling out; a job that already exists is returned as it is.</summary>
    [Alias("Start")]
    Task<JobOutcome> Start(JobSpec spec);

    /// <summary>The job with fresh progress, or null when there is no job with this id.</summary>
    [Alias("Get")]
    Task<JobView?> Get();

    /// <summary>Stops rolling out and cancels the job's still-queued commands.</summary>
    [Alias("Cancel")]
    Task<JobOutcome> Cancel(string cancelledBy);

    /// <summary>Nothing but activation: a running job resumes its rollout when it is activated.</summary>
    [Alias("Wake")]
    Task Wake();
}

/// <summary>
/// The list of jobs (newest first, bounded), so they can be listed and resumed after a restart.
/// Touched when a job starts or ends and when jobs are listed — never per device.
/// </summary>
[Alias("Fleet.IJobDirectoryGrain")]
public interface IJobDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("Add")]
    Task Add(string jobId);

    [Alias("Finished")]
    Task Finished(string jobId);

    [Alias("List")]
    Task<ImmutableArray<string>> List(int limit);

    /// <summary>Activates every running job (called on silo start and periodically), which resumes it.</summary>
    [Alias("WakeRunning")]
    Task WakeRunning();
}
