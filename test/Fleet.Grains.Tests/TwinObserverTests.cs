using Fleet.Devices;
using Fleet.Grains.Twins;
using Fleet.Twins;
using static Fleet.Grains.Tests.TwinTestKit;

namespace Fleet.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TwinObserverTests(ClusterFixture fixture)
{
    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    [Fact]
    public async Task EveryChangeIsAnnouncedWithTheFaultsItOpenedAndClosed()
    {
        var ap = await ProvisionAsync(fixture.Grains, DeviceKind.Wifi);
        var id = ap.GetPrimaryKeyString();

        await ap.SendAsync(Report(1, Now, ("up", false)));
        await ap.SendAsync(Report(1, Now, ("up", true))); // duplicate: not applied, not announced
        await ap.MergeDesired(Patch(null, ("channel", 6)));
        await ap.Endpoint().Connected(new DeviceConnection { SessionId = "s", Gateway = "nowhere", At = Now });
        await ap.SendAsync(Report(2, Now, ("up", true)));
        await ap.Decommission();

        var changes = fixture.Changes.Of(id);
        Assert.Equal(
            [TwinChangeKinds.Provisioned, TwinChangeKinds.Reported | TwinChangeKinds.Faults, TwinChangeKinds.Desired, TwinChangeKinds.Connectivity, TwinChangeKinds.Reported | TwinChangeKinds.Faults, TwinChangeKinds.Decommissioned],
            changes.Select(change => change.What));
        Assert.Equal(FaultCodes.ApDown, Assert.Single(changes[1].Raised).Code);
        Assert.Equal(FaultCodes.ApDown, Assert.Single(changes[4].Cleared).Code);
        Assert.True(changes[3].Twin.Connectivity.Online);
        Assert.True(changes.Zip(changes.Skip(1)).All(pair => pair.First.Twin.Version <= pair.Second.Twin.Version));
    }
}
