using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet.Devices;
using Fleet.Jobs;
using Fleet.Schedules;
using Fleet.Twins;

namespace Fleet.Grains.Schedules;

/// <summary>What a schedule step turns into: a bulk job over the schedule's lamps setting their desired on and level.</summary>
public static class ScheduleJobs
{
    /// <summary>
    /// The same for every wake of a step on a day, so starting it twice returns the existing job;
    /// the version keeps a changed plan's steps apart from the old plan's. Readable day and step, then
    /// a hash of all four, so it stays short enough to sit inside the job's command ids
    /// (<c>s20261125-0-…</c>, 35 characters, no ':').
    /// </summary>
    public static string JobId(string scheduleId, long version, StepOccurrence occurrence)
    {
        ArgumentNullException.ThrowIfNull(occurrence);
        var key = string.Create(CultureInfo.InvariantCulture, $"{scheduleId}\n{version}\n{occurrence.LocalDate:yyyy-MM-dd}\n{occurrence.Index}");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 10);
        return string.Create(CultureInfo.InvariantCulture, $"s{occurrence.LocalDate:yyyyMMdd}-{occurrence.Index}-{hash}");
    }

    public static string RequestedBy(string scheduleId) => "schedule:" + scheduleId;

    /// <summary>Level 0 switches off ({on: false, level: 0}); any other level switches on at that level.</summary>
    public static ImmutableDictionary<string, TwinValue?> Desired(int level) =>
        ImmutableDictionary.CreateRange<string, TwinValue?>(StringComparer.Ordinal, [
            new("on", TwinValue.Of(level > 0)),
            new("level", TwinValue.Of(level)),
        ]);

    public static JobSpec Spec(string scheduleId, ScheduleSpec schedule, StepOccurrence occurrence)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(occurrence);
        return new JobSpec
        {
            Target = new JobTarget
            {
                Kind = DeviceKind.Lamp,
                Boroughs = schedule.Borough is { } borough ? [borough] : [],
                Ids = schedule.Ids,
            },
            Desired = Desired(occurrence.Step.Level),
            RequestedBy = RequestedBy(scheduleId),
            Name = string.Create(CultureInfo.InvariantCulture, $"Schedule {scheduleId}: {occurrence.Step.At} on {occurrence.LocalDate:yyyy-MM-dd} → {occurrence.Step.Level} %"),
        };
    }

    public static ScheduleRun Run(string scheduleId, long version, StepOccurrence occurrence, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(occurrence);
        return new ScheduleRun
        {
            Step = occurrence.Index,
            At = occurrence.Step.At,
            Level = occurrence.Step.Level,
            Time = occurrence.Time,
            JobId = JobId(scheduleId, version, occurrence),
            Error = error,
        };
    }
}
