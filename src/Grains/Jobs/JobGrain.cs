using Fleet.Grains.Index;
using Fleet.Grains.Twins;
using Fleet.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Jobs;

/// <summary>What a job stores: its spec, where the rollout is, and its last progress (for lists).</summary>
[GenerateSerializer, Alias("Fleet.JobGrainState")]
public sealed class JobGrainState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public JobSpec Spec { get; set; } = new();
    [Id(2)] public JobState Status { get; set; }
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    [Id(4)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(5)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(6)] public string? Detail { get; set; }
    [Id(7)] public int Parts { get; set; }
    /// <summary>False until every part holds its slice; a job interrupted before that is aborted on resume.</summary>
    [Id(8)] public bool PartsReady { get; set; }
    /// <summary>The first part whose targets are not all started yet (== Parts: the rollout is done).</summary>
    [Id(9)] public int NextPart { get; set; }
    [Id(10)] public JobProgress Progress { get; set; } = new();
}

/// <summary>
/// Runs one bulk job: once a second it has its parts start up to the job's rate of targets, sums
/// their progress, applies the abort rule and finishes when every target has closed. Only this
/// job's parts talk to it; there is no fleet-wide coordinator.
/// </summary>
public sealed partial class JobGrain(
    [PersistentState("job", JobStorage.Name)] IPersistentState<JobGrainState> state,
    TwinClock clock,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    /// <summary>The abort rule judges only once this many targets have closed.</summary>
    public const int AbortMinimumClosed = 10;

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SaveProgressEvery = TimeSpan.FromSeconds(5);

    private readonly Dictionary<int, JobProgress> _parts = [];
    private IGrainTimer? _timer;
    private DateTimeOffset _savedAt;

    private JobGrainState State => state.State;

    private string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Exists && State.Status == JobState.Running)
        {
            if (!State.PartsReady)
            {
                await FinishAsync(JobState.Aborted, "interrupted while its targets were being resolved; start it again");
                return;
            }

            LogResumed(Id, State.NextPart, State.Parts);
            StartTimer();
        }
    }

    public async Task<JobOutcome> Start(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (State.Exists)
        {
            return new JobOutcome { Outcome = TwinOutcome.Ok, Job = await ViewAsync() };
        }

        if (spec.Validate() is { } error)
        {
            return new JobOutcome { Outcome = TwinOutcome.Invalid, Error = error };
        }

        IReadOnlyList<string> ids;
        try
        {
            ids = await JobTargets.ResolveAsync(spec.Target, GrainFactory, ServiceProvider.GetService<IFleetIndexReader>());
        }
        catch (ArgumentException exception)
        {
            return new JobOutcome { Outcome = TwinOutcome.Invalid, Error = exception.Message };
        }

        var now = clock.UtcNow;
        var parts = ids.Chunk(JobKeys.PartSize).ToList();
        state.State = new JobGrainState
        {
            Exists = true,
            Spec = spec,
            Status = JobState.Running,
            CreatedAt = now,
            UpdatedAt = now,
            Parts = parts.Count,
            Progress = new JobProgress { Targeted = ids.Count, Pending = ids.Count },
        };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IJobDirectoryGrain>(0).Add(Id);

        for (var i = 0; i < parts.Count; i++)
        {
            await GrainFactory.GetGrain<IJobPartGrain>(JobKeys.Part(Id, i)).Init(new JobPartSetup(Id, spec, parts[i]));
        }

        State.PartsReady = true;
        await state.WriteStateAsync();
        LogStarted(Id, ids.Count, parts.Count, spec.RequestedBy);
        StartTimer();
        return new JobOutcome { Outcome = TwinOutcome.Ok, Job = await ViewAsync() };
    }

    public async Task<JobView?> Get() => State.Exists ? await ViewAsync() : null;

    public async Task<JobOutcome> Cancel(string cancelledBy)
    {
        if (!State.Exists)
        {
            return new JobOutcome { Outcome = TwinOutcome.NotFound, Error = $"There is no job '{Id}'." };
        }

        if (State.Status != JobState.Running)
        {
            return new JobOutcome { Outcome = TwinOutcome.Conflict, Error = $"Job '{Id}' is already {State.Status.ToString().ToLowerInvariant()}.", Job = await ViewAsync() };
        }

        State.NextPart = State.Parts;
        for (var i = 0; i < State.Parts; i++)
        {
            await GrainFactory.GetGrain<IJobPartGrain>(JobKeys.Part(Id, i)).CancelQueued(cancelledBy);
        }

        await FinishAsync(JobState.Cancelled, "cancelled by " + cancelledBy);
        return new JobOutcome { Outcome = TwinOutcome.Ok, Job = await ViewAsync() };
    }

    public Task Wake() => Task.CompletedTask;

    private void StartTimer() =>
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Tick, KeepAlive = true });

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (State.Status != JobState.Running)
        {
            StopTimer();
            return;
        }

        var budget = State.Spec.RatePerSecond;
        var movedOn = false;
        while (budget > 0 && State.NextPart < State.Parts)
        {
            var started = await GrainFactory.GetGrain<IJobPartGrain>(JobKeys.Part(Id, State.NextPart)).StartNext(budget);
            budget -= started;
            if (started == 0 || budget > 0)
            {
                State.NextPart++;
                movedOn = true;
            }
        }

        var progress = await RefreshAsync();
        if (State.Spec.AbortFailurePercent is { } limit && progress.Closed >= AbortMinimumClosed
            && progress.Unsuccessful * 100.0 / progress.Closed > limit)
        {
            State.NextPart = State.Parts;
            await FinishAsync(JobState.Aborted, $"{progress.Unsuccessful} of {progress.Closed} closed targets failed, rejected or expired ({progress.Unsuccessful * 100.0 / progress.Closed:0.#} %), more than the {limit:0.#} % allowed");
            return;
        }

        if (State.NextPart >= State.Parts && progress.Pending == 0 && progress.Queued + progress.Sent == 0)
        {
            await FinishAsync(JobState.Completed, null);
            return;
        }

        if (movedOn || clock.UtcNow - _savedAt >= SaveProgressEvery)
        {
            await SaveAsync();
        }
    }

    /// <summary>Sums the parts' progress; parts whose targets have all closed are not asked again.</summary>
    private async Task<JobProgress> RefreshAsync()
    {
        var open = Enumerable.Range(0, State.Parts)
            .Where(i => !_parts.TryGetValue(i, out var known) || known.Pending + known.Queued + known.Sent > 0)
            .ToList();
        foreach (var batch in open.Chunk(32))
        {
            var answers = await Task.WhenAll(batch.Select(i => GrainFactory.GetGrain<IJobPartGrain>(JobKeys.Part(Id, i)).GetProgress()));
            for (var j = 0; j < batch.Length; j++)
            {
                _parts[batch[j]] = answers[j];
            }
        }

        var total = _parts.Values.Aggregate(new JobProgress(), JobProgress.Add);
        if (State.Parts == 0)
        {
            total = State.Progress;
        }

        State.Progress = total;
        return total;
    }

    private async Task FinishAsync(JobState status, string? detail)
    {
        State.Status = status;
        State.Detail = detail;
        State.FinishedAt = clock.UtcNow;
        if (State.PartsReady)
        {
            await RefreshAsync();
        }

        await SaveAsync();
        StopTimer();
        await GrainFactory.GetGrain<IJobDirectoryGrain>(0).Finished(Id);
        LogFinished(Id, status, detail);
    }

    private async Task SaveAsync()
    {
        State.UpdatedAt = clock.UtcNow;
        _savedAt = State.UpdatedAt;
        await state.WriteStateAsync();
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private async Task<JobView> ViewAsync()
    {
        var progress = State.PartsReady && State.Parts > 0 ? await RefreshAsync() : State.Progress;
        return new JobView
        {
            Id = Id,
            State = State.Status,
            Spec = State.Spec,
            Progress = progress,
            CreatedAt = State.CreatedAt,
            UpdatedAt = State.UpdatedAt,
            FinishedAt = State.FinishedAt,
            Detail = State.Detail,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} started by {RequestedBy}: {Targeted} targets in {Parts} parts")]
    private partial void LogStarted(string jobId, int targeted, int parts, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} resumed at part {NextPart} of {Parts}")]
    private partial void LogResumed(string jobId, int nextPart, int parts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ended {Status}: {Detail}")]
    private partial void LogFinished(string jobId, JobState status, string? detail);
}
