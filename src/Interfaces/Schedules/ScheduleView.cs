namespace Fleet.Schedules;

/// <summary>One step on one day: when it happens, what it sets, and the job it starts (or started).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ScheduleRun")]
public sealed record ScheduleRun
{
    /// <summary>The step's position in the schedule's steps.</summary>
    [Id(0)] public int Step { get; init; }
    [Id(1)] public string At { get; init; } = string.Empty;
    [Id(2)] public int Level { get; init; }
    /// <summary>The instant the step happens on that day, computed for Duisburg.</summary>
    [Id(3)] public DateTimeOffset Time { get; init; }
    /// <summary>The bulk job's id, the same for every wake of the same step on the same day.</summary>
    [Id(4)] public string JobId { get; init; } = string.Empty;
    /// <summary>Why the job could not be started, when it could not.</summary>
    [Id(5)] public string? Error { get; init; }
}

/// <summary>A schedule as operators see it (GET /api/schedules/{id}).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ScheduleView")]
public sealed record ScheduleView
{
    [Id(0)] public string Id { get; init; } = string.Empty;
    [Id(1)] public ScheduleSpec Spec { get; init; } = new();
    /// <summary>Counts the changes of the schedule; part of its job ids, so a changed plan never collides with an old one.</summary>
    [Id(2)] public long Version { get; init; }
    [Id(3)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(4)] public string UpdatedBy { get; init; } = string.Empty;
    /// <summary>The next step to happen; null only when no step happens in the coming days.</summary>
    [Id(5)] public ScheduleRun? Next { get; init; }
    /// <summary>The step that last started a job.</summary>
    [Id(6)] public ScheduleRun? Last { get; init; }
}

/// <summary>The answer to setting a schedule: the schedule, or the problem naming its field.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ScheduleOutcome")]
public sealed record ScheduleOutcome
{
    [Id(0)] public ScheduleView? Schedule { get; init; }
    [Id(1)] public ScheduleError? Error { get; init; }
    /// <summary>True when the schedule did not exist before.</summary>
    [Id(2)] public bool Created { get; init; }
}
