using Fleet.Grains.Schedules;
using Fleet.Schedules;

namespace Fleet.Grains.Tests;

/// <summary>Reading step times, validating schedules (every problem names its field) and what a step turns into.</summary>
public sealed class ScheduleSpecTests
{
    [Theory]
    [InlineData("23:00", StepAnchor.Clock, 1380, "23:00")]
    [InlineData("7:05", StepAnchor.Clock, 425, "07:05")]
    [InlineData("00:00", StepAnchor.Clock, 0, "00:00")]
    [InlineData("sunset", StepAnchor.Sunset, 0, "sunset")]
    [InlineData("Sunset-15", StepAnchor.Sunset, -15, "sunset-15")]
    [InlineData(" sunrise + 10 ", StepAnchor.Sunrise, 10, "sunrise+10")]
    [InlineData("sunrise-240", StepAnchor.Sunrise, -240, "sunrise-240")]
    public void StepTimesAreRead(string text, StepAnchor anchor, int minutes, string canonical)
    {
        Assert.True(StepTime.TryParse(text, out var time, out var error), error);
        Assert.Equal(new StepTime(anchor, minutes), time);
        Assert.Equal(canonical, time.ToString());
    }

    [Theory]
    [InlineData("24:00")]
    [InlineData("23:60")]
    [InlineData("2300")]
    [InlineData("sunset15")]
    [InlineData("sunset-241")]
    [InlineData("sunset-x")]
    [InlineData("noon")]
    [InlineData("")]
    [InlineData(null)]
    public void BadStepTimesAreRefused(string? text)
    {
        Assert.False(StepTime.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
    }

    private static ScheduleSpec Mitte(params (string At, int Level)[] steps) => new()
    {
        Borough = "mitte",
        Steps = [.. steps.Select(step => new ScheduleStep { At = step.At, Level = step.Level })],
    };

    [Fact]
    public void AGoodScheduleIsNormalised()
    {
        var spec = Mitte(("SUNSET-15", 100), ("7:30", 0)).Normalize();

        Assert.Null(spec.Validate());
        Assert.Equal("Mitte", spec.Borough);
        Assert.Equal(["sunset-15", "07:30"], spec.Steps.Select(step => step.At));
    }

    [Fact]
    public void EveryProblemNamesItsField()
    {
        Assert.Equal("steps[1].at", Mitte(("sunset", 100), ("25:00", 60)).Validate()!.Field);
        Assert.Equal("steps[0].level", Mitte(("sunset", 101)).Validate()!.Field);
        Assert.Equal("steps[1].at", Mitte(("23:00", 100), ("23:00", 60)).Validate()!.Field);
        Assert.Equal("steps", Mitte().Validate()!.Field);
        Assert.Equal("steps", Mitte([.. Enumerable.Range(0, ScheduleSpec.MaxSteps + 1).Select(minute => ($"00:{minute:00}", 10))]).Validate()!.Field);
        Assert.Equal("borough", (Mitte(("sunset", 100)) with { Borough = "Atlantis" }).Validate()!.Field);
        Assert.Equal("borough", (Mitte(("sunset", 100)) with { Borough = null }).Validate()!.Field);
        Assert.Equal("borough", (Mitte(("sunset", 100)) with { Ids = ["DU-L-000001"] }).Validate()!.Field);
        Assert.Equal("ids[1]", (Mitte(("sunset", 100)) with { Borough = null, Ids = ["DU-L-000001", "../x"] }).Validate()!.Field);
        Assert.Null(ScheduleSpec.ValidateId("mitte-night.v2"));
        Assert.NotNull(ScheduleSpec.ValidateId("-night"));
        Assert.NotNull(ScheduleSpec.ValidateId("a/b"));
    }

    [Fact]
    public void AStepBecomesADesiredJobOverTheSchedulesLampsWithADeterministicId()
    {
        var spec = Mitte(("sunset-15", 100), ("sunrise+10", 0)).Normalize();
        var plan = new DayPlan(spec.Steps, SchedulePlace.Duisburg);
        var day = plan.On(new DateOnly(2026, 11, 25));

        var on = ScheduleJobs.Spec("mitte-night", spec, day[1]);
        var off = ScheduleJobs.Spec("mitte-night", spec, day[0]);

        Assert.Null(on.Validate());
        Assert.Equal(Devices.DeviceKind.Lamp, on.Target.Kind);
        Assert.Equal("Mitte", Assert.Single(on.Target.Boroughs));
        Assert.Empty(on.Target.Ids);
        Assert.Equal("schedule:mitte-night", on.RequestedBy);
        Assert.Null(on.Command);
        Assert.True(on.Desired!["on"]!.Bool);
        Assert.Equal(100, on.Desired["level"]!.Number);
        Assert.False(off.Desired!["on"]!.Bool);
        Assert.Equal(0, off.Desired["level"]!.Number);

        var jobId = ScheduleJobs.JobId("mitte-night", 3, day[1]);
        Assert.Matches("^s20261125-0-[0-9a-f]{20}$", jobId);
        Assert.True(Protocol.DeviceTopics.IsValidCommandId("job-" + ScheduleJobs.JobId(new string('x', ScheduleSpec.MaxIdLength), long.MaxValue, day[1])));
        Assert.Equal(ScheduleJobs.JobId("mitte-night", 3, day[1]), ScheduleJobs.JobId("mitte-night", 3, plan.On(new DateOnly(2026, 11, 25))[1]));
        Assert.NotEqual(ScheduleJobs.JobId("mitte-night", 3, day[1]), ScheduleJobs.JobId("mitte-night", 4, day[1]));
        Assert.NotEqual(ScheduleJobs.JobId("mitte-night", 3, day[1]), ScheduleJobs.JobId("mitte-night", 3, plan.On(new DateOnly(2026, 11, 26))[1]));
    }
}
