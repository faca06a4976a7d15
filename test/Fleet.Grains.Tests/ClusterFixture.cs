using System.Collections.Concurrent;
using Fleet.Grains.Commands;
using Fleet.Grains.Gateway;
using Fleet.Grains.Twins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Fleet.Grains.Tests;

/// <summary>One in-process silo with memory storage, shared by the grain tests; each test uses fresh grain keys.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 21, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);

    public RecordingObserver Changes { get; } = new();

    public FakeGateway Gateway { get; } = new();

    /// <summary>The gateway key of the test silo, as a twin records it for a connected device.</summary>
    public string GatewayKey => Cluster.Silos[0].SiloAddress.ToParsableString();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("twins");
            silo.AddMemoryGrainStorage("jobs");
            silo.AddFleetGrains();
            silo.AddDeviceGateways();
            silo.Services.AddSingleton<IDeviceGateway>(Gateway);
            silo.Services.Configure<CommandOptions>(options => options.ResultTimeout = TimeSpan.FromSeconds(1));
            silo.Services.AddSingleton(new TwinClock(Time));
            silo.Services.AddSingleton<ITwinObserver>(Changes);
            silo.Services.Configure<TwinOptions>(options => options.TelemetryWriteDelay = TimeSpan.FromMilliseconds(200));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Keeps every twin change the silo announces, for the tests to look at.</summary>
public sealed class RecordingObserver : ITwinObserver
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<TwinChanged> _changes = new();

    public void OnTwinChanged(TwinChanged change) => _changes.Enqueue(change);

    public IReadOnlyList<TwinChanged> Of(string id) => [.. _changes.Where(change => change.Twin.Id == id)];
}

/// <summary>A device gateway that holds every session and records the commands it is asked to deliver.</summary>
public sealed class FakeGateway : IDeviceGateway
{
    public ConcurrentQueue<(DeviceSession Session, CommandMessage Command)> Commands { get; } = new();

    public IReadOnlyList<CommandMessage> CommandsFor(string deviceId) =>
        [.. Commands.Where(sent => sent.Session.Id == deviceId).Select(sent => sent.Command)];

    public ValueTask<bool> SendDesired(DeviceSession session, DesiredDocument desired) => ValueTask.FromResult(true);

    public ValueTask<bool> SendCommand(DeviceSession session, CommandMessage command)
    {
        Commands.Enqueue((session, command));
        return ValueTask.FromResult(true);
    }

    public ValueTask<bool> EndSession(DeviceSession session, SessionEndReason reason) => ValueTask.FromResult(true);
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
