using Fleet.Schedules;

namespace Fleet.Grains.Schedules;

/// <summary>A schedule's durable state: its plan, who set it, and the last step that started a job.</summary>
[GenerateSerializer]
public sealed class ScheduleState
{
    [Id(0)] public ScheduleSpec? Spec { get; set; }
    [Id(1)] public long Version { get; set; }
    [Id(2)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(3)] public string UpdatedBy { get; set; } = string.Empty;

    /// <summary>Steps before this instant (when the plan was set) never start a job.</summary>
    [Id(4)] public DateTimeOffset ActiveFrom { get; set; }
    [Id(5)] public ScheduleRun? Last { get; set; }
}

/// <summary>The directory's durable list of schedule ids.</summary>
[GenerateSerializer]
public sealed class ScheduleDirectoryState
{
    /// <summary>Kept in ordinal order.</summary>
    [Id(0)] public List<string> Ids { get; set; } = [];
}
