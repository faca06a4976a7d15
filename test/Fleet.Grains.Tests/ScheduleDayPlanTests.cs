using System.Globalization;
using Fleet.Grains.Schedules;
using Fleet.Schedules;

namespace Fleet.Grains.Tests;

/// <summary>The day plan's arithmetic: sun steps at Duisburg, wall-clock steps across daylight saving, days that run past midnight.</summary>
public sealed class ScheduleDayPlanTests
{
    private static readonly TimeSpan SunTolerance = TimeSpan.FromMinutes(2);

    private static DayPlan Plan(params (string At, int Level)[] steps) =>
        new([.. steps.Select(step => new ScheduleStep { At = step.At, Level = step.Level })], SchedulePlace.Duisburg);

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    [Theory]
    // PyEphem references (see SolarCalculatorTests): sunset 15:26:21 UTC on 21 Dec 2025, 19:53:35 UTC on 21 Jun 2025.
    [InlineData("sunset", "2025-12-21", "2025-12-21T15:26:21Z")]
    [InlineData("sunset-15", "2025-06-21", "2025-06-21T19:38:35Z")]
    [InlineData("sunset+30", "2025-12-21", "2025-12-21T15:56:21Z")]
    // Sunrise 07:35:54 UTC on 21 Dec 2025 and 03:16:01 UTC on 21 Jun 2025.
    [InlineData("sunrise+10", "2025-12-21", "2025-12-21T07:45:54Z")]
    [InlineData("sunrise-20", "2025-06-21", "2025-06-21T02:56:01Z")]
    public void SunStepsHappenAtDuisburgsSunriseAndSunsetPlusTheirOffset(string at, string date, string expected)
    {
        var occurrence = Assert.Single(Plan((at, 80)).On(DateOnly.Parse(date, CultureInfo.InvariantCulture)));

        var deviation = occurrence.Time - Utc(expected);
        Assert.True(deviation.Duration() <= SunTolerance, $"{at} on {date}: {occurrence.Time:u}, {deviation} from {expected}");
    }

    [Fact]
    public void WallClockStepsAreLocalTimeInWinterAndSummer()
    {
        var plan = Plan(("23:00", 60));

        Assert.Equal(Utc("2026-11-25T22:00:00Z"), plan.On(new DateOnly(2026, 11, 25))[0].Time);
        Assert.Equal(Utc("2026-07-01T21:00:00Z"), plan.On(new DateOnly(2026, 7, 1))[0].Time);
    }

    [Fact]
    public void OnTheSpringForwardDayASkippedTimeMovesPastTheGap()
    {
        // 29 March 2026: at 02:00 CET the clocks jump to 03:00 CEST.
        var plan = Plan(("01:00", 30), ("02:30", 20), ("03:00", 10), ("23:00", 60));

        var times = plan.On(new DateOnly(2026, 3, 29)).Select(occurrence => occurrence.Time).ToList();

        Assert.Equal(
            [Utc("2026-03-29T00:00:00Z"), Utc("2026-03-29T01:00:00Z"), Utc("2026-03-29T01:30:00Z"), Utc("2026-03-29T21:00:00Z")],
            times);
        Assert.Equal(["01:00", "03:00", "02:30", "23:00"], plan.On(new DateOnly(2026, 3, 29)).Select(occurrence => occurrence.Step.At));
        Assert.Equal(Utc("2026-03-28T22:00:00Z"), plan.On(new DateOnly(2026, 3, 28))[^1].Time);
    }

    [Fact]
    public void OnTheFallBackDayARepeatedTimeHappensAtItsFirstOccurrence()
    {
        // 25 October 2026: at 03:00 CEST the clocks go back to 02:00 CET, so 02:30 happens twice.
        var plan = Plan(("02:30", 20), ("03:00", 10), ("23:00", 60));

        var times = plan.On(new DateOnly(2026, 10, 25)).Select(occurrence => occurrence.Time).ToList();

        Assert.Equal([Utc("2026-10-25T00:30:00Z"), Utc("2026-10-25T02:00:00Z"), Utc("2026-10-25T22:00:00Z")], times);
    }

    [Fact]
    public void ANightThatCrossesMidnightRunsInOrderIntoTheNextDay()
    {
        var plan = Plan(("sunset-15", 100), ("23:00", 60), ("01:00", 30), ("sunrise+10", 0));
        var at = Utc("2026-11-25T21:30:00Z"); // 22:30 in Duisburg

        var inForce = plan.LastAtOrBefore(at)!;
        Assert.Equal(("sunset-15", new DateOnly(2026, 11, 25)), (inForce.Step.At, inForce.LocalDate));

        var steps = new List<StepOccurrence>();
        for (var next = plan.NextAfter(at)!; steps.Count < 5; next = plan.NextAfter(next.Time)!)
        {
            steps.Add(next);
        }

        Assert.Equal(["23:00", "01:00", "sunrise+10", "sunset-15", "23:00"], steps.Select(step => step.Step.At));
        Assert.Equal([60, 30, 0, 100, 60], steps.Select(step => step.Step.Level));
        Assert.Equal(Utc("2026-11-25T22:00:00Z"), steps[0].Time);
        Assert.Equal(Utc("2026-11-26T00:00:00Z"), steps[1].Time);
        Assert.Equal(new DateOnly(2026, 11, 26), steps[1].LocalDate);
        Assert.True(steps.Zip(steps.Skip(1)).All(pair => pair.First.Time < pair.Second.Time));
        Assert.InRange(steps[2].Time, Utc("2026-11-26T06:30:00Z"), Utc("2026-11-26T08:00:00Z"));
    }

    [Fact]
    public void AStepIsInForceFromTheInstantItHappens()
    {
        var plan = Plan(("23:00", 60), ("06:00", 0));
        var eleven = Utc("2026-11-25T22:00:00Z");

        Assert.Equal("23:00", plan.LastAtOrBefore(eleven)!.Step.At);
        Assert.Equal("06:00", plan.LastAtOrBefore(eleven.AddTicks(-1))!.Step.At);
        Assert.Equal("06:00", plan.NextAfter(eleven)!.Step.At);
        Assert.Equal("23:00", plan.NextAfter(eleven.AddTicks(-1))!.Step.At);
    }

    [Fact]
    public void TheWrittenOutRulesMatchTheSystemsEuropeBerlin()
    {
        var written = SchedulePlace.EuropeanRules();
        var system = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        for (var at = Utc("2024-01-01T00:30:00Z"); at < Utc("2028-01-01T00:00:00Z"); at = at.AddHours(1))
        {
            Assert.True(system.GetUtcOffset(at) == written.GetUtcOffset(at), $"offset at {at:u}");
        }
    }
}
