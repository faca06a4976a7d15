using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Fleet.Schedules;

/// <summary>
/// One lighting schedule, keyed by its id. It keeps its plan durably and, at each step, starts a
/// bulk job with a deterministic id, so a restart or a second wake never starts a step twice.
/// </summary>
[Alias("Fleet.IScheduleGrain")]
public interface IScheduleGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the schedule; the new plan takes effect from its next step.</summary>
    [Alias("Set")]
    Task<ScheduleOutcome> Set(ScheduleSpec spec, string setBy);

    /// <summary>The schedule with its next step, or null when there is none with this id.</summary>
    [Alias("Get")]
    Task<ScheduleView?> Get();

    /// <summary>Removes the schedule; false when there was none.</summary>
    [Alias("Delete")]
    Task<bool> Delete(string deletedBy);

    /// <summary>
    /// Starts the job of the step now in force if it has not been started yet, and sets the timer to
    /// the next step. The silo calls it on start and every minute; false when the schedule does not exist.
    /// </summary>
    [Alias("Wake")]
    Task<bool> Wake();
}

/// <summary>The ids of every schedule (bounded), so the silo can wake them after a restart.</summary>
[Alias("Fleet.IScheduleDirectoryGrain")]
public interface IScheduleDirectoryGrain : IGrainWithIntegerKey
{
    public const int MaxSchedules = 1_000;

    /// <summary>Adds the id; false when the directory is full.</summary>
    [Alias("Add")]
    Task<bool> Add(string scheduleId);

    [Alias("Remove")]
    Task Remove(string scheduleId);

    /// <summary>Every schedule id, in order.</summary>
    [Alias("List"), ReadOnly]
    Task<ImmutableArray<string>> List();
}
