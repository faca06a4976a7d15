using Fleet.Devices;
using static Fleet.Grains.Tests.TwinTestKit;

namespace Fleet.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ProvisioningTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task ProvisionReturnsAUrlSafe256BitSecretOnceAndAuthenticatesWithIt()
    {
        var lamp = Grains.GetTwin(DeviceKind.Lamp, NewId("lamp"));

        var result = await lamp.Provision(Metadata(DeviceKind.Lamp));

        Assert.Equal(TwinOutcome.Ok, result.Outcome);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", result.Secret);
        Assert.Equal(AuthResult.Ok, await lamp.Endpoint().Authenticate(result.Secret!));
        Assert.Equal(AuthResult.WrongSecret, await lamp.Endpoint().Authenticate(result.Secret + "x"));
        Assert.Equal(TwinOutcome.AlreadyExists, (await lamp.Provision(Metadata(DeviceKind.Lamp))).Outcome);
    }

    [Fact]
    public async Task GetTwinReachesTheSameGrainAsTheKindsOwnInterface()
    {
        var id = NewId("route");
        IDeviceTwinGrain[] byInterface =
            [Grains.GetGrain<ILampGrain>(id), Grains.GetGrain<IParkingBayGrain>(id), Grains.GetGrain<IAccessPointGrain>(id), Grains.GetGrain<IMeterGrain>(id)];
        Type[] interfaces = [typeof(ILampGrain), typeof(IParkingBayGrain), typeof(IAccessPointGrain), typeof(IMeterGrain)];

        foreach (var kind in Enum.GetValues<DeviceKind>())
        {
            var twin = Grains.GetTwin(kind, id);
            Assert.Equal(byInterface[(int)kind], twin);
            Assert.IsAssignableFrom(interfaces[(int)kind], twin);
            Assert.Equal(TwinOutcome.Ok, (await twin.Provision(Metadata(kind))).Outcome);
            Assert.Equal(kind, (await byInterface[(int)kind].GetTwin())!.Kind);
        }
    }

    [Theory]
    [InlineData(DeviceKind.Lamp, "Atlantis", 100.0, null, "'metadata.borough'")]
    [InlineData(DeviceKind.Lamp, "Mitte", null, null, "'metadata.ratedWatts'")]
    [InlineData(DeviceKind.Meter, "Mitte", null, "lemonade", "'metadata.medium'")]
    public async Task InvalidMetadataIsRefused(DeviceKind kind, string borough, double? watts, string? medium, string named)
    {
        var device = Grains.GetTwin(kind, NewId(kind.ToWire()));

        var result = await device.Provision(Metadata(kind) with { Borough = borough, RatedWatts = watts, Medium = medium });

        Assert.Equal(TwinOutcome.Invalid, result.Outcome);
        Assert.Contains(named, result.Error, StringComparison.Ordinal);
        Assert.Null(await device.GetTwin());
    }

    [Fact]
    public async Task BoroughIsNormalised()
    {
        var device = Grains.GetTwin(DeviceKind.Wifi, NewId("wifi"));

        var result = await device.Provision(Metadata(DeviceKind.Wifi) with { Borough = "sued" });

        Assert.Equal(Boroughs.Sued, result.Twin!.Metadata.Borough);
    }

    [Fact]
    public async Task RotatedSecretReplacesTheOldOne()
    {
        var lamp = Grains.GetTwin(DeviceKind.Lamp, NewId("lamp"));
        var first = (await lamp.Provision(Metadata(DeviceKind.Lamp))).Secret!;

        var second = (await lamp.RotateSecret()).Secret!;

        Assert.NotEqual(first, second);
        Assert.Equal(AuthResult.WrongSecret, await lamp.Endpoint().Authenticate(first));
        Assert.Equal(AuthResult.Ok, await lamp.Endpoint().Authenticate(second));
    }

    [Fact]
    public async Task DecommissionedDeviceIsGoneAndItsVersionNeverRepeats()
    {
        var lamp = Grains.GetTwin(DeviceKind.Lamp, NewId("lamp"));
        var secret = (await lamp.Provision(Metadata(DeviceKind.Lamp))).Secret!;
        await lamp.MergeDesired(Patch(null, ("level", 10)));
        var lastVersion = (await lamp.GetTwin())!.Version;

        Assert.Equal(TwinOutcome.Ok, (await lamp.Decommission()).Outcome);

        Assert.Null(await lamp.GetTwin());
        Assert.Equal(AuthResult.UnknownDevice, await lamp.Endpoint().Authenticate(secret));
        Assert.Equal(Fleet.Twins.ReportOutcome.UnknownDevice, (await lamp.SendAsync(Report(1, null, ("level", 5)))).Outcome);
        Assert.Equal(TwinOutcome.NotFound, (await lamp.Decommission()).Outcome);

        var again = await lamp.Provision(Metadata(DeviceKind.Lamp));
        Assert.Equal(TwinOutcome.Ok, again.Outcome);
        Assert.True(again.Twin!.Version > lastVersion);
        Assert.Empty(again.Twin.Desired);
    }
}
