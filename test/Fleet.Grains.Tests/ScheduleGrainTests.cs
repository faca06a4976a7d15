using Fleet.Devices;
using Fleet.Grains.Schedules;
using Fleet.Jobs;
using Fleet.Schedules;

namespace Fleet.Grains.Tests;

/// <summary>A schedule grain on the fake twin clock, starting real bulk jobs over real lamp twins.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ScheduleGrainTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static ScheduleSpec Night(params string[] lamps) => new()
    {
        Ids = [.. lamps],
        Steps = [new ScheduleStep { At = "sunset-15", Level = 100 }, new ScheduleStep { At = "sunrise+10", Level = 0 }],
    };

    [Fact]
    public async Task PastSunsetAWakeStartsTheSunsetJobOnceAndPastSunriseTheOffJob()
    {
        var lamps = new[] { await TwinTestKit.ProvisionAsync(fixture.Grains, DeviceKind.Lamp), await TwinTestKit.ProvisionAsync(fixture.Grains, DeviceKind.Lamp) };
        var ids = lamps.Select(lamp => lamp.GetPrimaryKeyString()).ToArray();
        var id = TwinTestKit.NewId("night")[..30];
        var schedule = fixture.Grains.GetGrain<IScheduleGrain>(id);
        var set = await schedule.Set(Night(ids), "test");
        Assert.Null(set.Error);
        Assert.True(set.Created);

        // Nothing in force yet: the plan starts with its next step.
        Assert.True(await schedule.Wake());
        Assert.Null((await schedule.Get())!.Last);

        var plan = new DayPlan(set.Schedule!.Spec.Steps, SchedulePlace.Duisburg);
        var sunset = NextStep(plan, "sunset-15", fixture.Time.GetUtcNow());
        fixture.Time.Advance(sunset.Time - fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        Assert.True(await schedule.Wake());

        var view = (await schedule.Get())!;
        var expectedJob = ScheduleJobs.JobId(id, 1, sunset);
        Assert.Equal(expectedJob, view.Last!.JobId);
        Assert.Equal(100, view.Last.Level);
        Assert.Equal(sunset.Time, view.Last.Time);
        Assert.Null(view.Last.Error);
        Assert.Equal("sunrise+10", view.Next!.At);

        var job = (await fixture.Grains.GetGrain<IJobGrain>(expectedJob).Get())!;
        Assert.Equal("schedule:" + id, job.Spec.RequestedBy);
        Assert.Equal(DeviceKind.Lamp, job.Spec.Target.Kind);
        Assert.Equal(ids, job.Spec.Target.Ids);
        Assert.True(job.Spec.Desired!["on"]!.Bool);
        Assert.Equal(100, job.Spec.Desired["level"]!.Number);
        Assert.Equal(2, job.Progress.Targeted);
        await DesiredAsync(lamps, on: true, level: 100);

        // A second and third wake find the step already started: same job, nothing new.
        Assert.True(await schedule.Wake());
        Assert.True(await schedule.Wake());
        Assert.Equal(view.Last, (await schedule.Get())!.Last);
        Assert.Equal(job.CreatedAt, (await fixture.Grains.GetGrain<IJobGrain>(expectedJob).Get())!.CreatedAt);

        var sunrise = NextStep(plan, "sunrise+10", fixture.Time.GetUtcNow());
        fixture.Time.Advance(sunrise.Time - fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        Assert.True(await schedule.Wake());

        var off = (await schedule.Get())!.Last!;
        Assert.Equal(0, off.Level);
        Assert.Equal(ScheduleJobs.JobId(id, 1, sunrise), off.JobId);
        await DesiredAsync(lamps, on: false, level: 0);
    }

    [Fact]
    public async Task ADeletedScheduleStartsNothingAndLeavesTheDirectory()
    {
        var lamp = await TwinTestKit.ProvisionAsync(fixture.Grains, DeviceKind.Lamp);
        var id = TwinTestKit.NewId("gone")[..30];
        var schedule = fixture.Grains.GetGrain<IScheduleGrain>(id);
        Assert.Null((await schedule.Set(Night(lamp.GetPrimaryKeyString()), "test")).Error);
        Assert.Contains(id, await fixture.Grains.GetGrain<IScheduleDirectoryGrain>(0).List());

        Assert.True(await schedule.Delete("test"));

        Assert.DoesNotContain(id, await fixture.Grains.GetGrain<IScheduleDirectoryGrain>(0).List());
        Assert.Null(await schedule.Get());
        Assert.False(await schedule.Wake());
        Assert.False(await schedule.Delete("test"));

        // Set again, the schedule counts on from its old version, so its job ids never repeat the old ones.
        var again = await schedule.Set(Night(lamp.GetPrimaryKeyString()), "test");
        Assert.Equal(2, again.Schedule!.Version);
    }

    [Fact]
    public async Task AnInvalidScheduleIsRefusedNamingTheField()
    {
        var schedule = fixture.Grains.GetGrain<IScheduleGrain>(TwinTestKit.NewId("bad")[..30]);

        var outcome = await schedule.Set(Night("DU-L-000001") with { Steps = [new ScheduleStep { At = "sunset+999", Level = 10 }] }, "test");

        Assert.Equal("steps[0].at", outcome.Error!.Field);
        Assert.Null(await schedule.Get());
    }

    private static StepOccurrence NextStep(DayPlan plan, string at, DateTimeOffset after)
    {
        var next = plan.NextAfter(after)!;
        while (next.Step.At != at)
        {
            next = plan.NextAfter(next.Time)!;
        }

        return next;
    }

    private static async Task DesiredAsync(IEnumerable<IDeviceTwinGrain> lamps, bool on, double level)
    {
        var deadline = DateTime.UtcNow + Deadline;
        foreach (var lamp in lamps)
        {
            while (true)
            {
                var desired = (await lamp.GetTwin())!.Desired;
                if (desired.TryGetValue("on", out var isOn) && isOn.Bool == on && desired.TryGetValue("level", out var isLevel) && isLevel.Number == level)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"{lamp.GetPrimaryKeyString()} never got desired on={on}, level={level}");
                await Task.Delay(50);
            }
        }
    }
}
