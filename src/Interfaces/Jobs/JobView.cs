using System.Collections.Immutable;

namespace Fleet.Jobs;

public enum JobState
{
    /// <summary>Rolling out, or waiting for the last results.</summary>
    Running,
    /// <summary>Every target was started and every one has closed.</summary>
    Completed,
    /// <summary>Stopped by its abort rule; targets not yet started were left alone.</summary>
    Aborted,
    /// <summary>Cancelled by an operator; queued commands were cancelled, targets not yet started left alone.</summary>
    Cancelled,
}

/// <summary>
/// Where a job's targets are. Every target is counted exactly once: pending (not started yet),
/// queued or sent (open), or one of the closed outcomes — so the counts add up to <see cref="Targeted"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobProgress")]
public sealed record JobProgress
{
    [Id(0)] public int Targeted { get; init; }
    [Id(1)] public int Pending { get; init; }
    [Id(2)] public int Queued { get; init; }
    [Id(3)] public int Sent { get; init; }
    [Id(4)] public int Succeeded { get; init; }
    [Id(5)] public int Failed { get; init; }
    [Id(6)] public int Rejected { get; init; }
    [Id(7)] public int Expired { get; init; }
    [Id(8)] public int Cancelled { get; init; }

    public int Closed => Succeeded + Failed + Rejected + Expired + Cancelled;

    /// <summary>Failed, rejected or expired: what the abort rule counts.</summary>
    public int Unsuccessful => Failed + Rejected + Expired;

    public static JobProgress operator +(JobProgress a, JobProgress b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new JobProgress
        {
            Targeted = a.Targeted + b.Targeted,
            Pending = a.Pending + b.Pending,
            Queued = a.Queued + b.Queued,
            Sent = a.Sent + b.Sent,
            Succeeded = a.Succeeded + b.Succeeded,
            Failed = a.Failed + b.Failed,
            Rejected = a.Rejected + b.Rejected,
            Expired = a.Expired + b.Expired,
            Cancelled = a.Cancelled + b.Cancelled,
        };
    }

    public static JobProgress Add(JobProgress a, JobProgress b) => a + b;
}

/// <summary>A job as operators see it (GET /api/jobs/{id}).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobView")]
public sealed record JobView
{
    [Id(0)] public string Id { get; init; } = string.Empty;
    [Id(1)] public JobState State { get; init; }
    [Id(2)] public JobSpec Spec { get; init; } = new();
    [Id(3)] public JobProgress Progress { get; init; } = new();
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(6)] public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Why it stopped, when it did not simply complete.</summary>
    [Id(7)] public string? Detail { get; init; }
}

/// <summary>The answer to starting or cancelling a job.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobOutcome")]
public sealed record JobOutcome
{
    [Id(0)] public Grains.TwinOutcome Outcome { get; init; }
    [Id(1)] public string? Error { get; init; }
    [Id(2)] public JobView? Job { get; init; }
}

/// <summary>A page of jobs, newest first.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobList")]
public sealed record JobList([property: Id(0)] ImmutableArray<JobView> Items);
