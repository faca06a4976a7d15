using Fleet.Commands;
using Fleet.Jobs;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Jobs;

/// <summary>What a job part stores: its slice (at most <see cref="JobKeys.PartSize"/> ids) and each target's state.</summary>
[GenerateSerializer, Alias("Fleet.JobPartState")]
public sealed class JobPartState
{
    [Id(0)] public string JobId { get; set; } = string.Empty;
    [Id(1)] public JobSpec? Spec { get; set; }
    [Id(2)] public List<string> Ids { get; set; } = [];
    /// <summary>Per target: null while pending (not started), else the state of its command.</summary>
    [Id(3)] public List<CommandState?> States { get; set; } = [];
    /// <summary>How many targets (in order) have been started.</summary>
    [Id(4)] public int Next { get; set; }
}

/// <summary>
/// Starts its targets when the job asks (a bounded number at a time), records each target's
/// outcome and, while some are open, asks their twins now and then so a lost notice is repaired.
/// </summary>
public sealed partial class JobPartGrain(
    [PersistentState("part", JobStorage.Name)] IPersistentState<JobPartState> state,
    ILogger<JobPartGrain> logger) : Grain, IJobPartGrain
{
    private const int Parallel = 16;
    private static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RepairEvery = TimeSpan.FromSeconds(30);

    private Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private IGrainTimer? _writeTimer;
    private bool _dirty;
    private IGrainTimer? _repairTimer;

    private JobPartState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Reindex();
        ScheduleRepair(TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await WriteAsync();
        }
    }

    public async Task Init(JobPartSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        if (State.Spec is not null)
        {
            return;
        }

        State.JobId = setup.JobId;
        State.Spec = setup.Spec;
        State.Ids = [.. setup.Ids];
        State.States = [.. setup.Ids.Select(_ => (CommandState?)null)];
        State.Next = 0;
        await WriteAsync();
        Reindex();
    }

    public async Task<int> StartNext(int max)
    {
        if (State.Spec is not { } spec || State.Next >= State.Ids.Count || max <= 0)
        {
            return 0;
        }

        var from = State.Next;
        var count = Math.Min(max, State.Ids.Count - from);
        var work = Enumerable.Range(from, count).ToList();
        foreach (var batch in work.Chunk(Parallel))
        {
            var outcomes = await Task.WhenAll(batch.Select(i => StartAsync(spec, State.Ids[i])));
            for (var j = 0; j < batch.Length; j++)
            {
                State.States[batch[j]] = Later(State.States[batch[j]], outcomes[j]);
            }
        }

        // Written before the job counts them: after a crash a part re-starts at most this batch,
        // and the twin knows a repeated job command by its id.
        State.Next = from + count;
        await WriteAsync();
        ScheduleRepair(RepairEvery);
        return count;
    }

    public Task<JobProgress> GetProgress()
    {
        int Count(CommandState s) => State.States.Count(x => x == s);
        return Task.FromResult(new JobProgress
        {
            Targeted = State.Ids.Count,
            Pending = State.States.Count(x => x is null),
            Queued = Count(CommandState.Queued),
            Sent = Count(CommandState.Sent),
            Succeeded = Count(CommandState.Succeeded),
            Failed = Count(CommandState.Failed),
            Rejected = Count(CommandState.Rejected),
            Expired = Count(CommandState.Expired),
            Cancelled = Count(CommandState.Cancelled),
        });
    }

    public async Task CancelQueued(string cancelledBy)
    {
        if (State.Spec is not { } spec)
        {
            return;
        }

        var queued = Enumerable.Range(0, State.Ids.Count).Where(i => State.States[i] == CommandState.Queued).ToList();
        foreach (var batch in queued.Chunk(Parallel))
        {
            var outcomes = await Task.WhenAll(batch.Select(i =>
                GrainFactory.GetTwin(spec.Target.Kind, State.Ids[i]).CancelCommand(JobKeys.Command(State.JobId), cancelledBy)));
            for (var j = 0; j < batch.Length; j++)
            {
                if (outcomes[j].Command is { } command)
                {
                    State.States[batch[j]] = Later(State.States[batch[j]], command.State);
                }
            }
        }

        await WriteAsync();
    }

    public Task CommandChanged(JobCommandUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (_index.TryGetValue(update.DeviceId, out var i) && update.CommandId == JobKeys.Command(State.JobId))
        {
            var before = State.States[i];
            State.States[i] = Later(before, update.State);
            if (State.States[i] != before)
            {
                MarkDirty();
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Starts one target; returns the state its command (or desired change) is in.</summary>
    private async Task<CommandState> StartAsync(JobSpec spec, string id)
    {
        var twin = GrainFactory.GetTwin(spec.Target.Kind, id);
        try
        {
            if (spec.Command is { } command)
            {
                var outcome = await twin.SubmitCommand(command with
                {
                    Id = JobKeys.Command(State.JobId),
                    JobId = this.GetPrimaryKeyString(),
                    RequestedBy = spec.RequestedBy,
                });
                return outcome.Command?.State ?? CommandState.Failed;
            }

            var result = await twin.MergeDesired(new DesiredPatch { Changes = spec.Desired! });
            return result.Outcome == TwinOutcome.Ok ? CommandState.Succeeded : CommandState.Failed;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogStartFailed(exception, State.JobId, id);
            return CommandState.Failed;
        }
    }

    /// <summary>States only move forward: open → sent → closed; a closed target never changes.</summary>
    private static CommandState? Later(CommandState? current, CommandState next) => current switch
    {
        null => next,
        { } s when s.IsFinal() => s,
        CommandState.Sent when next == CommandState.Queued => CommandState.Sent,
        _ => next,
    };

    private void MarkDirty()
    {
        _dirty = true;
        _writeTimer ??= this.RegisterGrainTimer(WriteIfDirtyAsync, new GrainTimerCreationOptions(WriteDelay, Timeout.InfiniteTimeSpan));
    }

    // Not given the timer's token: disposing the timer (first thing here) cancels it, and the
    // write of the progress it was scheduled for must still happen.
    private async Task WriteIfDirtyAsync(CancellationToken _)
    {
        _writeTimer?.Dispose();
        _writeTimer = null;
        if (_dirty)
        {
            await WriteAsync();
        }
    }

    private Task WriteAsync()
    {
        _dirty = false;
        return state.WriteStateAsync();
    }

    private void ScheduleRepair(TimeSpan due)
    {
        if (_repairTimer is not null || !State.States.Any(s => s is CommandState.Queued or CommandState.Sent))
        {
            return;
        }

        // KeepAlive: a part with open targets stays active, so their outcomes keep arriving.
        _repairTimer = this.RegisterGrainTimer(RepairAsync, new GrainTimerCreationOptions { DueTime = due, Period = RepairEvery, KeepAlive = true });
    }

    /// <summary>Asks the twins of open targets where their command is; one-way notices can be lost.</summary>
    private async Task RepairAsync(CancellationToken cancellationToken)
    {
        if (State.Spec is not { } spec)
        {
            return;
        }

        var open = Enumerable.Range(0, State.Ids.Count).Where(i => State.States[i] is CommandState.Queued or CommandState.Sent).ToList();
        if (open.Count == 0 || spec.Command is null)
        {
            _repairTimer?.Dispose();
            _repairTimer = null;
            return;
        }

        var changed = false;
        foreach (var batch in open.Chunk(Parallel))
        {
            var commands = await Task.WhenAll(batch.Select(i => GrainFactory.GetTwin(spec.Target.Kind, State.Ids[i]).GetCommand(JobKeys.Command(State.JobId)).AsTask()));
            for (var j = 0; j < batch.Length; j++)
            {
                var before = State.States[batch[j]];

                // A twin that lost the command (decommissioned meanwhile) will never close it.
                State.States[batch[j]] = commands[j] is { } command ? Later(before, command.State) : CommandState.Failed;
                changed |= State.States[batch[j]] != before;
            }
        }

        if (changed)
        {
            MarkDirty();
        }
    }

    private void Reindex()
    {
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < State.Ids.Count; i++)
        {
            _index[State.Ids[i]] = i;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: starting target {DeviceId} failed; counted as failed")]
    private partial void LogStartFailed(Exception exception, string jobId, string deviceId);
}

/// <summary>The grain storage of jobs and their parts.</summary>
public static class JobStorage
{
    public const string Name = "jobs";
}
