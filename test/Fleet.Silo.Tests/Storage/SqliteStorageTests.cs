using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Fleet.Silo.Tests.Storage;

/// <summary>Grain state on the embedded SQLite store, through real silos. Each test has its own file.</summary>
public sealed class SqliteStorageTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task SchemaAppliesTwiceAndLeavesTheFileInWalMode()
    {
        await SchemaInstaller.ApplySqliteAsync(_database.Path);
        await SchemaInstaller.ApplySqliteAsync(_database.Path);

        Assert.Equal("wal", await _database.ScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(SchemaInstaller.SqliteSchemaVersion, await _database.ScalarAsync<int>("PRAGMA user_version"));
        Assert.Equal(4, await _database.ScalarAsync<int>(
            "SELECT count(*) FROM OrleansQuery WHERE QueryKey IN ('ReadFromStorageKey', 'WriteToStorageKey', 'ClearStorageKey', 'DeleteStorageKey')"));
    }

    [Fact]
    public async Task StateSurvivesDeactivationAndANewSiloOnTheSameFile()
    {
        var cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>("lamp-1");
            await grain.SetAsync("first");
            await grain.SetAsync("second");
            await cluster.DeactivateAsync(grain);

            Assert.Equal(new ProbeSnapshot("second", 2, true), await grain.GetAsync());
        }

        // The second start applies the schema again over the existing data.
        cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>("lamp-1");
            Assert.Equal(new ProbeSnapshot("second", 2, true), await grain.GetAsync());
            Assert.Equal("probe@storageprobe", await _database.ScalarAsync<string>("SELECT grain_type FROM fleet_grain_state"));
            Assert.Equal(2, await _database.ScalarAsync<int>("SELECT version FROM fleet_grain_state"));

            // Orleans' binary format: the payload carries field ids, not JSON member names.
            Assert.Equal(0, await _database.ScalarAsync<int>("SELECT instr(payload, CAST('Value' AS BLOB)) FROM fleet_grain_state"));
            Assert.Equal(1, await _database.ScalarAsync<int>("SELECT instr(payload, CAST('second' AS BLOB)) > 0 FROM fleet_grain_state"));
        }
    }

    [Fact]
    public async Task ClearedStateReadsAsNewAndCanBeWrittenAgain()
    {
        var cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>("lamp-2");
            await grain.SetAsync("on");
            await grain.ClearAsync();
            await cluster.DeactivateAsync(grain);

            Assert.Equal(new ProbeSnapshot("", 0, false), await grain.GetAsync());

            await grain.SetAsync("again");
            await cluster.DeactivateAsync(grain);
            Assert.Equal(new ProbeSnapshot("again", 1, true), await grain.GetAsync());
            Assert.Equal(3, await _database.ScalarAsync<int>("SELECT version FROM fleet_grain_state"));
        }
    }

    [Fact]
    public async Task EveryWriteMovesTheVersionAndStaleEtagsAreRefused()
    {
        var cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            await GrainStorageContract.VersionsEveryWriteAndRefusesStaleOnesAsync(Storage(cluster, StorageExtensions.TwinsStorageName));
            await GrainStorageContract.KeepsGrainTypesApartAsync(Storage(cluster, StorageExtensions.TwinsStorageName));
        }
    }

    [Fact]
    public async Task WithDeleteStateOnClearTheRowGoes()
    {
        var cluster = await _database.StartClusterAsync(silo => silo.Services.Configure<AdoNetGrainStorageOptions>(
            StorageExtensions.PubSubStorageName, options => options.DeleteStateOnClear = true));
        await using (cluster)
        {
            await GrainStorageContract.DeletesOnClearAsync(
                Storage(cluster, StorageExtensions.PubSubStorageName),
                () => _database.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state"));
        }
    }

    [Fact]
    public async Task AGrainWhoseRowChangedBehindItFailsItsWriteThenRecovers()
    {
        var cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>("lamp-4");
            await grain.SetAsync("mine");

            // Another writer moves the version on: the activation's ETag is now stale.
            Assert.Equal(1, await _database.ExecuteAsync("UPDATE fleet_grain_state SET version = version + 1"));

            await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetAsync("lost"));

            // Orleans deactivates the grain on that exception; the next activation reads afresh.
            await grain.SetAsync("recovered");
            Assert.Equal(new ProbeSnapshot("recovered", 2, true), await grain.GetAsync());
        }
    }


    [Fact]
    public async Task TwoHundredGrainsWritingAtOnceAllSucceed()
    {
        const int Grains = 200;
        const int WritesEach = 5;

        var cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grains = Enumerable.Range(0, Grains).Select(i => cluster.Client.GetGrain<IStorageProbeGrain>($"bay-{i}")).ToArray();
            var writes = Enumerable.Range(0, WritesEach)
                .SelectMany(round => grains.Select(grain => grain.SetAsync($"round-{round}")));
            await Task.WhenAll(writes);

            foreach (var grain in grains)
            {
                await cluster.DeactivateAsync(grain);
            }

            var snapshots = await Task.WhenAll(grains.Select(grain => grain.GetAsync()));
            Assert.All(snapshots, snapshot => Assert.Equal(WritesEach, snapshot.Writes));
            Assert.Equal(Grains, await _database.ScalarAsync<int>($"SELECT count(*) FROM fleet_grain_state WHERE version = {WritesEach}"));
        }
    }

    [Fact]
    public async Task StreamSubscriptionsAreKeptInPubSubStoreAcrossARestart()
    {
        var cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>("wifi-1");
            await grain.SubscribeAsync();

            var stream = cluster.Client.GetStreamProvider(StorageProbeGrain.StreamProvider).GetStream<int>(StorageProbeGrain.StreamOf("wifi-1"));
            await stream.OnNextAsync(5);
            await Poll.UntilAsync(async () => await grain.GetReceivedAsync() == 5, "the grain to receive the stream item");
        }

        cluster = await _database.StartClusterAsync();
        await using (cluster)
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>("wifi-1");
            Assert.Equal(1, await grain.ResumeSubscriptionsAsync());
            Assert.True(await _database.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state WHERE grain_type LIKE '%@pubsubrendezvous'") >= 1);
        }
    }

    private static IGrainStorage Storage(InProcessTestCluster cluster, string name) =>
        cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(name);
}
