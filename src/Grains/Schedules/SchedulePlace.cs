namespace Fleet.Grains.Schedules;

/// <summary>Where schedules are computed: a position for the sun and a time zone for wall-clock steps.</summary>
public sealed record SchedulePlace(double Latitude, double Longitude, TimeZoneInfo TimeZone)
{
    /// <summary>Duisburg's city hall, local time Europe/Berlin.</summary>
    public static SchedulePlace Duisburg { get; } = new(51.4344, 6.7623, CentralEuropeanTime());

    /// <summary>
    /// Europe/Berlin from the system's tz database; where a slim container lacks one, the same
    /// rules written out (CET, CEST from the last Sunday of March 01:00 UTC to the last Sunday of
    /// October 01:00 UTC, as the EU has had them since 1996).
    /// </summary>
    internal static TimeZoneInfo CentralEuropeanTime()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return EuropeanRules();
        }
    }

    internal static TimeZoneInfo EuropeanRules()
    {
        var rule = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
            DateTime.MinValue.Date,
            DateTime.MaxValue.Date,
            TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday));
        return TimeZoneInfo.CreateCustomTimeZone("Europe/Berlin", TimeSpan.FromHours(1), "Europe/Berlin", "CET", "CEST", [rule]);
    }
}
