using Fleet.Grains.Twins;
using Fleet.Jobs;
using Fleet.Schedules;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Schedules;

/// <summary>
/// A lighting schedule. A grain timer wakes it at its next step and the silo wakes it every minute
/// (and on start), so it survives restarts without reminders: each wake starts the job of the step
/// in force if that step has not started one yet. The job id is derived from the schedule, its
/// version, the day and the step, so a repeated wake finds the job already there.
/// </summary>
public sealed partial class ScheduleGrain(
    [PersistentState("schedule", ScheduleGrain.StorageName)] IPersistentState<ScheduleState> state,
    TwinClock clock,
    ILogger<ScheduleGrain> logger) : Grain, IScheduleGrain
{
    /// <summary>The grain storage schedules and their directory live in.</summary>
    public const string StorageName = "schedules";

    /// <summary>A timer never waits longer than this; the silo's periodic wake would catch a longer one anyway.</summary>
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);

    private IGrainTimer? _timer;
    private DayPlan? _plan;

    private string Id => this.GetPrimaryKeyString();

    private DayPlan Plan => _plan ??= new DayPlan(state.State.Spec!.Steps, SchedulePlace.Duisburg);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Spec is not null)
        {
            ScheduleTimer(clock.UtcNow);
        }

        return Task.CompletedTask;
    }

    public async Task<ScheduleOutcome> Set(ScheduleSpec spec, string setBy)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (ScheduleSpec.ValidateId(Id) is { } idError)
        {
            return new ScheduleOutcome { Error = new ScheduleError("id", idError) };
        }

        spec = spec.Normalize();
        if (spec.Validate() is { } error)
        {
            return new ScheduleOutcome { Error = error };
        }

        var created = state.State.Spec is null;
        if (created && !await GrainFactory.GetGrain<IScheduleDirectoryGrain>(0).Add(Id))
        {
            return new ScheduleOutcome { Error = new ScheduleError("id", $"There are already {IScheduleDirectoryGrain.MaxSchedules} schedules; delete one first.") };
        }

        var now = clock.UtcNow;
        state.State.Spec = spec;
        state.State.Version++;
        state.State.UpdatedAt = now;
        state.State.UpdatedBy = setBy;
        state.State.ActiveFrom = now;
        await state.WriteStateAsync();
        _plan = null;
        ScheduleTimer(now);
        LogScheduleSet(Id, state.State.Version, setBy);
        return new ScheduleOutcome { Schedule = View(now), Created = created };
    }

    public Task<ScheduleView?> Get() => Task.FromResult(state.State.Spec is null ? null : View(clock.UtcNow));

    public async Task<bool> Delete(string deletedBy)
    {
        if (state.State.Spec is null)
        {
            return false;
        }

        await GrainFactory.GetGrain<IScheduleDirectoryGrain>(0).Remove(Id);

        // The version stays, so a schedule created again under this id never reuses an old job id.
        state.State.Spec = null;
        state.State.Last = null;
        state.State.UpdatedAt = clock.UtcNow;
        state.State.UpdatedBy = deletedBy;
        await state.WriteStateAsync();
        _plan = null;
        _timer?.Dispose();
        _timer = null;
        LogScheduleDeleted(Id, deletedBy);
        DeactivateOnIdle();
        return true;
    }

    public async Task<bool> Wake()
    {
        if (state.State.Spec is null)
        {
            DeactivateOnIdle();
            return false;
        }

        await RunDueStepAsync();
        ScheduleTimer(clock.UtcNow);
        return true;
    }

    /// <summary>Starts the job of the step in force now, unless it started one already or happened before the plan was set.</summary>
    private async Task RunDueStepAsync()
    {
        var now = clock.UtcNow;
        if (Plan.LastAtOrBefore(now) is not { } due
            || due.Time < state.State.ActiveFrom
            || (state.State.Last is { } last && last.Time >= due.Time))
        {
            return;
        }

        var jobId = ScheduleJobs.JobId(Id, state.State.Version, due);
        var outcome = await GrainFactory.GetGrain<IJobGrain>(jobId).Start(ScheduleJobs.Spec(Id, state.State.Spec!, due));
        var error = outcome.Outcome == TwinOutcome.Ok ? null : outcome.Error ?? outcome.Outcome.ToString();
        state.State.Last = ScheduleJobs.Run(Id, state.State.Version, due, error);
        await state.WriteStateAsync();
        if (error is null)
        {
            LogStepStarted(Id, due.Step.At, due.Step.Level, jobId);
        }
        else
        {
            LogStepRefused(Id, due.Step.At, jobId, error);
        }
    }

    private void ScheduleTimer(DateTimeOffset now)
    {
        _timer?.Dispose();
        _timer = null;
        if (Plan.NextAfter(now) is not { } next)
        {
            return;
        }

        var due = next.Time - now;
        _timer = this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions
        {
            DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due > MaxTimerDue ? MaxTimerDue : due,
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        });
    }

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunDueStepAsync();
        }
        catch (Exception exception)
        {
            // The step is not marked as run, so the silo's next wake tries it again.
            LogStepFailed(exception, Id);
        }

        if (state.State.Spec is not null)
        {
            ScheduleTimer(clock.UtcNow);
        }
    }

    private ScheduleView View(DateTimeOffset now) => new()
    {
        Id = Id,
        Spec = state.State.Spec!,
        Version = state.State.Version,
        UpdatedAt = state.State.UpdatedAt,
        UpdatedBy = state.State.UpdatedBy,
        Next = Plan.NextAfter(now) is { } next ? ScheduleJobs.Run(Id, state.State.Version, next) : null,
        Last = state.State.Last,
    };

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Schedule {ScheduleId} set to version {Version} by {SetBy}")]
    private partial void LogScheduleSet(string scheduleId, long version, string setBy);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "Schedule {ScheduleId} deleted by {DeletedBy}")]
    private partial void LogScheduleDeleted(string scheduleId, string deletedBy);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Information, Message = "Schedule {ScheduleId}: step {At} started job {JobId} to level {Level}")]
    private partial void LogStepStarted(string scheduleId, string at, int level, string jobId);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Warning, Message = "Schedule {ScheduleId}: step {At} could not start job {JobId}: {Error}")]
    private partial void LogStepRefused(string scheduleId, string at, string jobId, string error);

    [LoggerMessage(EventId = 8105, Level = LogLevel.Warning, Message = "Schedule {ScheduleId}: starting its step failed; the next wake tries again")]
    private partial void LogStepFailed(Exception exception, string scheduleId);
}
