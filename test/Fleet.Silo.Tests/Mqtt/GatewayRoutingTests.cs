using System.Collections.Concurrent;
using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Grains.Gateway;
using Fleet.Twins;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>
/// Downlink routing across silos, without MQTT: two silos, each with a recording gateway; a twin
/// must reach the gateway of the silo its device is connected to, and nothing else.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class GatewayRoutingTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("twins");
            silo.AddFleetGrains();
            silo.AddDeviceGateways();
            silo.Services.AddSingleton<RecordingGateway>();
            silo.Services.AddSingleton<IDeviceGateway>(services => services.GetRequiredService<RecordingGateway>());
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task DesiredGoesThroughTheSiloHoldingTheConnectionAndATakeoverClosesTheOldSession()
    {
        var (first, second) = (_cluster.Silos[0], _cluster.Silos[1]);
        var id = await ProvisionAsync();
        var endpoint = Grains.GetEndpoint(DeviceKind.Lamp, id);
        var sessionOnSecond = new DeviceSession(DeviceKind.Lamp, id, "s-1");
        Gateway(second).Hold(sessionOnSecond);

        await endpoint.Connected(new DeviceConnection { SessionId = "s-1", Gateway = second.SiloAddress.ToParsableString(), At = DateTimeOffset.UtcNow });
        var result = await Grains.GetTwin(DeviceKind.Lamp, id).MergeDesired(Patch("level", 30));

        var sent = Assert.Single(Gateway(second).Desired);
        Assert.Equal(sessionOnSecond, sent.Session);
        Assert.Equal(result.Twin!.Version, sent.Document.Version);
        Assert.Equal(30, sent.Document.Desired["level"].Number);
        Assert.Empty(Gateway(first).Desired);

        // The device reconnects through the first silo: the second closes the old session, and
        // the first gets the desired document right away because a delta exists.
        var sessionOnFirst = new DeviceSession(DeviceKind.Lamp, id, "s-2");
        Gateway(first).Hold(sessionOnFirst);
        await endpoint.Connected(new DeviceConnection { SessionId = "s-2", Gateway = first.SiloAddress.ToParsableString(), At = DateTimeOffset.UtcNow });

        Assert.Equal((sessionOnSecond, SessionEndReason.TakenOver), Assert.Single(Gateway(second).Ended));
        Assert.Equal(sessionOnFirst, Assert.Single(Gateway(first).Desired).Session);
        await endpoint.Disconnected("s-1");
        Assert.True((await Grains.GetTwin(DeviceKind.Lamp, id).GetTwin())!.Connectivity.Online);
    }

    [Fact]
    public async Task ADeviceWhoseGatewaySiloStopsIsOfflineWhenItsTwinIsRead()
    {
        var id = await ProvisionAsync();
        var twin = Grains.GetTwin(DeviceKind.Lamp, id);

        // The connection is on the silo that does not host the twin (the test's memory storage
        // would lose the twin's state with its silo; a real store would not).
        Assert.True(_cluster.TryGetGrainContext(twin.GetGrainId(), out var context));
        var leaving = _cluster.Silos.First(silo => !silo.SiloAddress.Equals(context.Address.SiloAddress));
        Gateway(leaving).Hold(new DeviceSession(DeviceKind.Lamp, id, "s-1"));
        await Grains.GetEndpoint(DeviceKind.Lamp, id).Connected(new DeviceConnection { SessionId = "s-1", Gateway = leaving.SiloAddress.ToParsableString(), At = DateTimeOffset.UtcNow });
        Assert.True((await twin.GetTwin())!.Connectivity.Online);

        await _cluster.StopSiloAsync(leaving);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await twin.GetTwin())!.Connectivity.Online)
        {
            Assert.True(DateTime.UtcNow < deadline, "the twin stayed online after its gateway silo left");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task AGatewayGrainForASiloThatIsGoneFailsInsteadOfActivatingElsewhere()
    {
        var local = _cluster.Silos[0].SiloAddress;
        var gone = SiloAddress.New(local.Endpoint, local.Generation - 1000).ToParsableString();

        await Assert.ThrowsAnyAsync<Exception>(() => Grains.GetGrain<IGatewayGrain>(gone).SendDesired(new DeviceSession(DeviceKind.Lamp, "x", "s"), new DesiredDocument()));
    }

    private RecordingGateway Gateway(InProcessSiloHandle silo) =>
        _cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<RecordingGateway>();

    private async Task<string> ProvisionAsync()
    {
        var id = Devices.NewId();
        var result = await Grains.GetTwin(DeviceKind.Lamp, id).Provision(new DeviceMetadata { Borough = Boroughs.Mitte, Lat = 51.43, Lon = 6.76, RatedWatts = 60 });
        Assert.Equal(TwinOutcome.Ok, result.Outcome);
        return id;
    }

    private static DesiredPatch Patch(string field, double value) =>
        new() { Changes = ImmutableDictionary<string, TwinValue?>.Empty.Add(field, TwinValue.Of(value)) };

    /// <summary>A gateway that holds the sessions it is told about and records what it is asked to do.</summary>
    private sealed class RecordingGateway : IDeviceGateway
    {
        private readonly ConcurrentDictionary<DeviceSession, bool> _held = new();

        public ConcurrentQueue<(DeviceSession Session, DesiredDocument Document)> Desired { get; } = new();

        public ConcurrentQueue<(DeviceSession Session, SessionEndReason Reason)> Ended { get; } = new();

        public void Hold(DeviceSession session) => _held[session] = true;

        public ValueTask<bool> SendDesired(DeviceSession session, DesiredDocument desired)
        {
            if (!_held.ContainsKey(session))
            {
                return ValueTask.FromResult(false);
            }

            Desired.Enqueue((session, desired));
            return ValueTask.FromResult(true);
        }

        public ConcurrentQueue<(DeviceSession Session, CommandMessage Command)> Commands { get; } = new();

        public ValueTask<bool> SendCommand(DeviceSession session, CommandMessage command)
        {
            if (!_held.ContainsKey(session))
            {
                return ValueTask.FromResult(false);
            }

            Commands.Enqueue((session, command));
            return ValueTask.FromResult(true);
        }

        public ValueTask<bool> EndSession(DeviceSession session, SessionEndReason reason)
        {
            Ended.Enqueue((session, reason));
            return ValueTask.FromResult(_held.TryRemove(session, out _));
        }
    }
}
