using Fleet.Devices;
using Fleet.Twins;
using static Fleet.Grains.Tests.TwinTestKit;

namespace Fleet.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class FaultRuleTests(ClusterFixture fixture)
{
    // Duisburg, 25 Nov 2026: sunrise ≈ 07:10 UTC, sunset ≈ 15:30 UTC.
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 11, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Evening = new(2026, 11, 25, 19, 0, 0, TimeSpan.Zero);

    private IGrainFactory Grains => fixture.Grains;

    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    private static async Task<string[]> FaultsAsync(IDeviceTwinGrain device) =>
        [.. (await device.GetTwin())!.Faults.Select(fault => fault.Code).Order()];

    [Fact]
    public async Task LampFailureNeedsTwoLowPowerReportsInARowAndClears()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp); // rated 100 W

        await lamp.SendAsync(Report(1, Evening, ("on", true), ("level", 80), ("powerW", 2)));
        Assert.Empty(await FaultsAsync(lamp));

        await lamp.SendAsync(Report(2, Evening, ("powerW", 1)));
        Assert.Equal([FaultCodes.LampFailure], await FaultsAsync(lamp));

        await lamp.SendAsync(Report(3, Evening, ("powerW", 78)));
        Assert.Empty(await FaultsAsync(lamp));
    }

    [Fact]
    public async Task LampOffDrawingNothingIsHealthy()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);

        await lamp.SendAsync(Report(1, Evening, ("on", false), ("level", 80), ("powerW", 0)));
        await lamp.SendAsync(Report(2, Evening, ("powerW", 0)));

        Assert.Empty(await FaultsAsync(lamp));
    }

    [Fact]
    public async Task PowerFarAboveRatedIsAnAnomaly()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);

        await lamp.SendAsync(Report(1, Evening, ("on", true), ("level", 100), ("powerW", 180)));
        Assert.Equal([FaultCodes.PowerAnomaly], await FaultsAsync(lamp));

        await lamp.SendAsync(Report(2, Evening, ("powerW", 99)));
        Assert.Empty(await FaultsAsync(lamp));
    }

    [Fact]
    public async Task LampLitAtNoonIsADayBurnerButNotInTheEvening()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);

        await lamp.SendAsync(Report(1, Noon, ("on", true), ("level", 50), ("powerW", 50)));
        var raised = (await lamp.GetTwin())!.Faults.Single();
        Assert.Equal(FaultCodes.DayBurner, raised.Code);
        Assert.Equal(Noon, raised.Since);

        await lamp.SendAsync(Report(2, Evening, ("powerW", 50)));
        Assert.Empty(await FaultsAsync(lamp));
    }

    [Fact]
    public async Task SensorBatteryLowHasHysteresis()
    {
        var bay = await ProvisionAsync(Grains, DeviceKind.Parking);

        await bay.SendAsync(Report(1, Now, ("batteryPct", 10)));
        Assert.Equal([FaultCodes.SensorBatteryLow], await FaultsAsync(bay));

        await bay.SendAsync(Report(2, Now, ("batteryPct", 17)));
        Assert.Equal([FaultCodes.SensorBatteryLow], await FaultsAsync(bay));

        await bay.SendAsync(Report(3, Now, ("batteryPct", 25)));
        Assert.Empty(await FaultsAsync(bay));
    }

    [Fact]
    public async Task BayOccupiedLongerThanTheLimitIsStuck()
    {
        var bay = await ProvisionAsync(Grains, DeviceKind.Parking);
        await bay.SendAsync(Report(1, Now, ("state", "occupied"), ("observedAt", Now.ToString("O"))));
        Assert.Empty(await FaultsAsync(bay));

        fixture.Time.Advance(TimeSpan.FromHours(25));
        await bay.SendAsync(Report(2, Now, ("state", "occupied"), ("batteryPct", 80)));
        Assert.Equal([FaultCodes.StuckOccupied], await FaultsAsync(bay));

        await bay.SendAsync(Report(3, Now, ("state", "free")));
        Assert.Empty(await FaultsAsync(bay));
    }

    [Fact]
    public async Task AccessPointDownAndBackhaulDownRaiseAndClear()
    {
        var ap = await ProvisionAsync(Grains, DeviceKind.Wifi);

        await ap.SendAsync(Report(1, Now, ("up", false), ("backhaulUp", false)));
        Assert.Equal([FaultCodes.ApDown, FaultCodes.BackhaulDown], await FaultsAsync(ap));

        await ap.SendAsync(Report(2, Now, ("up", true)));
        Assert.Equal([FaultCodes.BackhaulDown], await FaultsAsync(ap));

        await ap.SendAsync(Report(3, Now, ("backhaulUp", true), ("clients", 12)));
        Assert.Empty(await FaultsAsync(ap));
    }

    [Fact]
    public async Task AccessPointSwitchedOffByOperationsIsNotDown()
    {
        var ap = await ProvisionAsync(Grains, DeviceKind.Wifi);
        await ap.MergeDesired(Patch(null, ("enabled", false)));

        await ap.SendAsync(Report(1, Now, ("up", false), ("enabled", false)));

        Assert.Empty(await FaultsAsync(ap));
    }

    [Fact]
    public async Task MeterAlarmsFollowTheirFlags()
    {
        var meter = await ProvisionAsync(Grains, DeviceKind.Meter);

        await meter.SendAsync(Report(1, Now, ("leak", true), ("tamper", true), ("backflow", true)));
        Assert.Equal([FaultCodes.Backflow, FaultCodes.Leak, FaultCodes.Tamper], await FaultsAsync(meter));

        await meter.SendAsync(Report(2, Now, ("leak", false), ("tamper", false), ("backflow", false)));
        Assert.Empty(await FaultsAsync(meter));
    }

    [Fact]
    public async Task RegisterNeverGoesBackwardsAndConsumptionIsDerived()
    {
        var meter = await ProvisionAsync(Grains, DeviceKind.Meter);
        await meter.SendAsync(Report(1, Now, ("register", 100.5)));
        await meter.SendAsync(Report(2, Now, ("register", 101.25)));
        Assert.Equal(0.75, (await meter.GetTwin())!.Number("consumption"), 6);

        var backwards = await meter.SendAsync(Report(3, Now, ("register", 90), ("batteryPct", 70)));

        Assert.Equal(ReportOutcome.Applied, backwards.Outcome);
        var twin = (await meter.GetTwin())!;
        Assert.Equal(101.25, twin.Number("register"));
        Assert.Equal(70, twin.Number("batteryPct"));
        Assert.Equal([FaultCodes.RegisterWentBackwards], await FaultsAsync(meter));

        await meter.SendAsync(Report(4, Now, ("register", 102)));
        Assert.Empty(await FaultsAsync(meter));
        Assert.Equal(0.75, (await meter.GetTwin())!.Number("consumption"), 6);
    }
}
