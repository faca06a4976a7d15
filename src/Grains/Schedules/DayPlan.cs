using Fleet.Grains.Domain;
using Fleet.Schedules;

namespace Fleet.Grains.Schedules;

/// <summary>A step on one local day and the instant it happens.</summary>
public sealed record StepOccurrence(int Index, ScheduleStep Step, DateOnly LocalDate, DateTimeOffset Time);

/// <summary>
/// A schedule's steps laid out in time: every step happens once on every local day, wall-clock
/// steps at that local time and sun steps at that day's sunrise or sunset plus their offset. Pure:
/// the same steps, place and instant always give the same answer.
/// </summary>
/// <remarks>
/// Daylight saving: a wall-clock time that does not exist (02:30 on the last Sunday of March) moves
/// forward by the hour the clocks skip (03:30 CEST); one that happens twice (02:30 on the last
/// Sunday of October) happens at the first of the two (CEST). A sun step is skipped on a day
/// without sunrise or sunset, which never happens at Duisburg's latitude.
/// </remarks>
public sealed class DayPlan
{
    // Sun steps move by up to 4 h and a step's day is its local date, so a step can lie a day from
    // the instant asked about; two days either side is always enough.
    private const int DaysAround = 2;

    private readonly IReadOnlyList<(int Index, ScheduleStep Step, StepTime Time)> _steps;
    private readonly SchedulePlace _place;

    public DayPlan(IEnumerable<ScheduleStep> steps, SchedulePlace place)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(place);
        _place = place;
        _steps = [.. steps.Select((step, index) => StepTime.TryParse(step.At, out var time, out var error)
            ? (index, step, time)
            : throw new ArgumentException($"steps[{index}].at: {error}", nameof(steps)))];
    }

    /// <summary>Every step on the local date, in the order they happen (ties in step order).</summary>
    public IReadOnlyList<StepOccurrence> On(DateOnly localDate)
    {
        var occurrences = new List<StepOccurrence>(_steps.Count);
        foreach (var (index, step, time) in _steps)
        {
            if (InstantOf(time, localDate) is { } instant)
            {
                occurrences.Add(new StepOccurrence(index, step, localDate, instant));
            }
        }

        occurrences.Sort(static (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Index.CompareTo(b.Index));
        return occurrences;
    }

    /// <summary>The first step that happens strictly after <paramref name="instant"/>.</summary>
    public StepOccurrence? NextAfter(DateTimeOffset instant) =>
        Around(instant).FirstOrDefault(occurrence => occurrence.Time > instant);

    /// <summary>The step in force at <paramref name="instant"/>: the last one that happened at or before it.</summary>
    public StepOccurrence? LastAtOrBefore(DateTimeOffset instant) =>
        Around(instant).LastOrDefault(occurrence => occurrence.Time <= instant);

    /// <summary>The local date of an instant.</summary>
    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, _place.TimeZone).DateTime);

    private IEnumerable<StepOccurrence> Around(DateTimeOffset instant)
    {
        var today = LocalDate(instant);
        return Enumerable.Range(-DaysAround, (2 * DaysAround) + 1)
            .SelectMany(days => On(today.AddDays(days)))
            .OrderBy(occurrence => occurrence.Time)
            .ThenBy(occurrence => occurrence.LocalDate)
            .ThenBy(occurrence => occurrence.Index);
    }

    private DateTimeOffset? InstantOf(StepTime time, DateOnly localDate)
    {
        if (time.Anchor == StepAnchor.Clock)
        {
            return FromLocal(localDate.ToDateTime(TimeOnly.MinValue).AddMinutes(time.Minutes));
        }

        // At Duisburg's longitude sunrise and sunset fall on the UTC date that equals the local date.
        var sun = SolarCalculator.GetSunTimes(localDate, _place.Latitude, _place.Longitude);
        var anchor = time.Anchor == StepAnchor.Sunrise ? sun.Sunrise : sun.Sunset;
        return anchor?.AddMinutes(time.Minutes);
    }

    private DateTimeOffset FromLocal(DateTime local)
    {
        var zone = _place.TimeZone;
        if (zone.IsInvalidTime(local))
        {
            // Skipped by the clocks going forward: the same wall-clock distance past the gap.
            var before = zone.GetUtcOffset(local.AddHours(-6));
            return new DateTimeOffset(local, before).ToOffset(TimeSpan.Zero);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToOffset(TimeSpan.Zero);
    }
}
