using Fleet.Commands;
using Fleet.Devices;
using Fleet.Jobs;
using Orleans.Concurrency;

namespace Fleet.Grains.Jobs;

/// <summary>
/// One part of a bulk job: a bounded slice of its targets (key "{jobId}:{n}"), started when the job
/// says and tracked to their outcome. A twin tells it every move of the job's command on that
/// device, one way: the part never waits on the twin, and a lost message is repaired by the part
/// asking the twin (<see cref="IDeviceTwinGrain.GetCommand"/>) while targets are open.
/// </summary>
[Alias("Fleet.IJobPartGrain")]
public interface IJobPartGrain : IGrainWithStringKey
{
    /// <summary>Takes the slice; a part that already has one keeps it.</summary>
    [Alias("Init")]
    Task Init(JobPartSetup setup);

    /// <summary>Starts up to <paramref name="max"/> more targets; returns how many it started (0: none left).</summary>
    [Alias("StartNext")]
    Task<int> StartNext(int max);

    [Alias("GetProgress")]
    Task<JobProgress> GetProgress();

    /// <summary>Cancels the part's still-queued commands.</summary>
    [Alias("CancelQueued")]
    Task CancelQueued(string cancelledBy);

    [Alias("CommandChanged"), OneWay]
    Task CommandChanged(JobCommandUpdate update);
}

/// <summary>What a part needs: its job, the spec and its slice of target ids.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobPartSetup")]
public sealed record JobPartSetup(
    [property: Id(0)] string JobId,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] IReadOnlyList<string> Ids);

/// <summary>A job command's new state on one device.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobCommandUpdate")]
public sealed record JobCommandUpdate(
    [property: Id(0)] DeviceKind Kind,
    [property: Id(1)] string DeviceId,
    [property: Id(2)] string CommandId,
    [property: Id(3)] CommandState State);

/// <summary>The naming rules that tie a job, its parts and its commands together.</summary>
public static class JobKeys
{
    /// <summary>At most this many targets per part, so no part's state grows with the fleet.</summary>
    public const int PartSize = 500;

    public static string Part(string jobId, int index) => jobId + ":" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The job a part key belongs to.</summary>
    public static string JobOf(string partKey) => partKey.Split(':')[0];

    /// <summary>The id of the job's command on every target: one per device per job, so a repeat is recognised.</summary>
    public static string Command(string jobId) => "job-" + jobId;

    /// <summary>A new job id: time-ordered, valid inside a command id.</summary>
    public static string NewJobId(DateTimeOffset now) => "j" + Guid.CreateVersion7(now).ToString("N");
}
