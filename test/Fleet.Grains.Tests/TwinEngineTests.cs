using System.Text.Json;
using Fleet.Devices;
using Fleet.Twins;
using Fleet.Grains.Twins;
using static Fleet.Grains.Tests.TwinTestKit;

namespace Fleet.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TwinEngineTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    [Fact]
    public async Task ReportSetsReportedValuesTimestampsAndVersion()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);
        var before = (await lamp.GetTwin())!;
        var at = Now.AddSeconds(-5);

        var result = await lamp.SendAsync(Report(1, at, ("on", true), ("level", 70), ("powerW", 70), ("energyWh", 1234)));

        Assert.Equal(ReportOutcome.Applied, result.Outcome);
        var twin = (await lamp.GetTwin())!;
        Assert.True(twin.Reported["on"].Bool);
        Assert.Equal(70, twin.Number("level"));
        Assert.Equal(at, twin.Timestamps.Reported["level"]);
        Assert.True(twin.Version > before.Version);
        Assert.Equal(result.Version, twin.Version);
    }

    public static TheoryData<DeviceKind, string, object> InvalidValues => new()
    {
        { DeviceKind.Lamp, "level", 150 },
        { DeviceKind.Lamp, "level", -1 },
        { DeviceKind.Lamp, "level", "high" },
        { DeviceKind.Lamp, "powerW", double.NaN },
        { DeviceKind.Lamp, "powerW", double.PositiveInfinity },
        { DeviceKind.Lamp, "on", 1 },
        { DeviceKind.Parking, "state", "maybe" },
        { DeviceKind.Parking, "batteryPct", 101 },
        { DeviceKind.Parking, "observedAt", "yesterday" },
        { DeviceKind.Wifi, "clients", -3 },
        { DeviceKind.Wifi, "clients", 2.5 },
        { DeviceKind.Wifi, "channel", 0 },
        { DeviceKind.Wifi, "ssids", "not-a-list" },
        { DeviceKind.Meter, "register", -1 },
        { DeviceKind.Meter, "batteryPct", 1e9 },
        { DeviceKind.Meter, "leak", "yes" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task InvalidValueIsRejectedNamingTheFieldAndLeavesTheTwinUnchanged(DeviceKind kind, string field, object value)
    {
        var device = await ProvisionAsync(Grains, kind);
        await device.SendAsync(Report(1, Now, ("firmware", "1.0")));
        var before = JsonSerializer.Serialize(await device.GetTwin());

        var result = await device.SendAsync(Report(2, Now, ("firmware", "2.0"), (field, value)));

        Assert.Equal(ReportOutcome.Rejected, result.Outcome);
        Assert.Contains($"'{field}'", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, JsonSerializer.Serialize(await device.GetTwin()));

        // The rejected seq was not consumed: the next valid report with it applies.
        Assert.Equal(ReportOutcome.Applied, (await device.SendAsync(Report(2, Now, ("firmware", "2.0")))).Outcome);
    }

    [Fact]
    public async Task TimestampTooFarInTheFutureIsRejected()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);
        var before = JsonSerializer.Serialize(await lamp.GetTwin());

        var result = await lamp.SendAsync(Report(1, Now.AddMinutes(6), ("level", 10)));

        Assert.Equal(ReportOutcome.Rejected, result.Outcome);
        Assert.Contains("'ts'", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, JsonSerializer.Serialize(await lamp.GetTwin()));
        Assert.Equal(ReportOutcome.Applied, (await lamp.SendAsync(Report(1, Now.AddMinutes(4), ("level", 10)))).Outcome);
    }

    [Fact]
    public async Task RepeatedOrOlderSequenceIsAcknowledgedButNotApplied()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);
        await lamp.SendAsync(Report(5, Now, ("level", 50)));

        var repeated = await lamp.SendAsync(Report(5, Now, ("level", 60)));
        var older = await lamp.SendAsync(Report(4, Now, ("level", 70)));

        Assert.Equal(ReportOutcome.Duplicate, repeated.Outcome);
        Assert.Equal(ReportOutcome.Duplicate, older.Outcome);
        Assert.Equal(50, (await lamp.GetTwin())!.Number("level"));
    }

    [Fact]
    public async Task RebootedDeviceRestartsItsSequenceUnderANewBoot()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);
        await lamp.SendAsync(Report(900, Now, ("level", 50)));

        var afterReboot = await lamp.SendAsync(Report(0, Now, ("level", 20)) with { Boot = 1 });
        var staleFromOldBoot = await lamp.SendAsync(Report(901, Now, ("level", 90)));

        Assert.Equal(ReportOutcome.Applied, afterReboot.Outcome);
        Assert.Equal(ReportOutcome.Duplicate, staleFromOldBoot.Outcome);
        Assert.Equal(20, (await lamp.GetTwin())!.Number("level"));
    }

    [Fact]
    public async Task UnknownAndDerivedFieldsAreIgnoredAndNamed()
    {
        var meter = await ProvisionAsync(Grains, DeviceKind.Meter);

        var result = await meter.SendAsync(Report(1, Now, ("register", 10), ("colour", "red"), ("consumption", 99)));

        Assert.Equal(ReportOutcome.Applied, result.Outcome);
        Assert.Equal(["colour", "consumption"], result.IgnoredFields.Order());
        var twin = (await meter.GetTwin())!;
        Assert.False(twin.Reported.ContainsKey("colour"));
        Assert.False(twin.Reported.ContainsKey("consumption"));
    }

    [Fact]
    public async Task DesiredMergeRaisesVersionAndDeltaFollowsReported()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);
        await lamp.SendAsync(Report(1, Now, ("on", true), ("level", 100)));
        var version = (await lamp.GetTwin())!.Version;

        var merged = await lamp.MergeDesired(Patch(null, ("level", 40), ("on", true)));

        Assert.Equal(TwinOutcome.Ok, merged.Outcome);
        Assert.Equal(version + 1, merged.Twin!.Version);
        Assert.Equal(40, merged.Twin.Desired["level"].Number);
        Assert.Equal(["level"], merged.Twin.Delta.Keys);
        Assert.Equal(Now, merged.Twin.Timestamps.Desired["level"]);

        await lamp.SendAsync(Report(2, Now, ("level", 40)));
        Assert.Empty((await lamp.GetTwin())!.Delta);

        var removed = await lamp.MergeDesired(Patch(null, ("level", null)));
        Assert.False(removed.Twin!.Desired.ContainsKey("level"));
        Assert.True(removed.Twin.Desired.ContainsKey("on"));
    }

    [Fact]
    public void ATwinWithNothingDesiredHoldsNoDesiredDictionaries()
    {
        var engine = new TwinEngine(LampRules.Instance, new TwinOptions());
        var state = new TwinState { Provisioned = true, Metadata = Metadata(DeviceKind.Lamp), Version = 1 };
        Assert.Null(state.Desired);
        Assert.Empty(engine.ToDocument(state, "DU-L-LAZY").Desired);

        engine.MergeDesired(state, "DU-L-LAZY", Patch(null, ("level", 40), ("on", true)), Now);
        Assert.Equal(2, state.Desired!.Count);
        Assert.Equal(Now, state.DesiredAt!["on"]);

        engine.MergeDesired(state, "DU-L-LAZY", Patch(null, ("level", null), ("on", null)), Now);
        Assert.Null(state.Desired);
        Assert.Null(state.DesiredAt);
        var document = engine.ToDocument(state, "DU-L-LAZY");
        Assert.Empty(document.Desired);
        Assert.Empty(document.Timestamps.Desired);
        Assert.Equal(3, document.Version);
    }

    [Fact]
    public async Task StaleExpectedVersionIsAConflictAndChangesNothing()
    {
        var lamp = await ProvisionAsync(Grains, DeviceKind.Lamp);
        var version = (await lamp.GetTwin())!.Version;
        await lamp.MergeDesired(Patch(version, ("level", 30)));

        var stale = await lamp.MergeDesired(Patch(version, ("level", 80)));

        Assert.Equal(TwinOutcome.VersionConflict, stale.Outcome);
        Assert.Equal(30, (await lamp.GetTwin())!.Desired["level"].Number);
    }

    [Theory]
    [InlineData(DeviceKind.Lamp, "powerW", 10)]
    [InlineData(DeviceKind.Lamp, "level", 150)]
    [InlineData(DeviceKind.Parking, "state", "free")]
    [InlineData(DeviceKind.Wifi, "channel", 400)]
    [InlineData(DeviceKind.Meter, "reportingIntervalS", 5)]
    public async Task InvalidDesiredIsRefusedNamingTheField(DeviceKind kind, string field, object value)
    {
        var device = await ProvisionAsync(Grains, kind);
        var before = JsonSerializer.Serialize(await device.GetTwin());

        var result = await device.MergeDesired(Patch(null, (field, value)));

        Assert.Equal(TwinOutcome.Invalid, result.Outcome);
        Assert.Contains($"'{field}'", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, JsonSerializer.Serialize(await device.GetTwin()));
    }

    [Fact]
    public async Task ValveIsDesirableOnlyForWaterAndGasMeters()
    {
        var water = await ProvisionAsync(Grains, DeviceKind.Meter);
        var power = await ProvisionAsync(Grains, DeviceKind.Meter, Metadata(DeviceKind.Meter) with { Medium = MeterMedia.Electricity });

        Assert.Equal(TwinOutcome.Ok, (await water.MergeDesired(Patch(null, ("valveOpen", false)))).Outcome);
        var refused = await power.MergeDesired(Patch(null, ("valveOpen", false)));
        Assert.Equal(TwinOutcome.Invalid, refused.Outcome);
        Assert.Contains("'valveOpen'", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HistoryIsBounded()
    {
        var wifi = await ProvisionAsync(Grains, DeviceKind.Wifi);
        for (var seq = 1; seq <= 120; seq++)
        {
            await wifi.SendAsync(Report(seq, Now, ("clients", seq)));
        }

        var history = await wifi.GetHistory();
        Assert.Equal(96, history.Length);
        Assert.Equal(120, history[^1].Value);
        Assert.Equal(25, history[0].Value);
    }

    [Fact]
    public async Task ConnectivityFollowsConnectionsAndIgnoresAReplacedOne()
    {
        var bay = await ProvisionAsync(Grains, DeviceKind.Parking);
        var endpoint = bay.Endpoint();

        await endpoint.Connected(new DeviceConnection { SessionId = "s1", Gateway = "silo-a", At = Now });
        await endpoint.Connected(new DeviceConnection { SessionId = "s2", Gateway = "silo-b", At = Now });
        await endpoint.Disconnected("s1");
        Assert.True((await bay.GetTwin())!.Connectivity.Online);

        await endpoint.Disconnected("s2");
        var connectivity = (await bay.GetTwin())!.Connectivity;
        Assert.False(connectivity.Online);
        Assert.Equal(Now, connectivity.Since);
    }
}
