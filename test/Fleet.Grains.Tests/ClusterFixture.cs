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

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("twins");
            silo.AddMemoryGrainStorage(Fleet.Grains.Schedules.ScheduleGrain.StorageName);
            silo.AddMemoryGrainStorage(Fleet.Grains.Jobs.JobStorage.Name);
            silo.AddFleetGrains();
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

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
