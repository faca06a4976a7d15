using Fleet.Devices;
using Fleet.Silo.Index;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Storage;

/// <summary>
/// The SQLite write lane lets fleet-index batches in ahead of waiting grain-state writes, so a
/// burst of grain writes cannot hold the index back (issue 5: the index lags twins by ≤ 2 s).
/// </summary>
public sealed class WriteLaneTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task FirstWriteOvertakesWaitingNormalWritesWhichKeepTheirOrder()
    {
        var lane = new WriteLane();
        var order = new List<string>();
        var hold = new TaskCompletionSource();
        var holding = lane.RunAsync(() => hold.Task, CancellationToken.None);

        var writes = new List<Task>();
        for (var i = 1; i <= 3; i++)
        {
            var name = "normal" + i;
            writes.Add(lane.RunAsync(() => Record(order, name), CancellationToken.None));
        }

        writes.Add(lane.RunAsync(() => Record(order, "first"), WritePriority.First, CancellationToken.None));
        Assert.Equal(4, lane.Waiting);

        hold.SetResult();
        await holding;
        await Task.WhenAll(writes);

        Assert.Equal(["first", "normal1", "normal2", "normal3"], order);
    }

    [Fact]
    public async Task CancelledWaiterGivesUpItsTurnWithoutBlockingTheLane()
    {
        var lane = new WriteLane();
        var order = new List<string>();
        var hold = new TaskCompletionSource();
        var holding = lane.RunAsync(() => hold.Task, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = lane.RunAsync(() => Record(order, "cancelled"), WritePriority.First, cancel.Token);
        var normal = lane.RunAsync(() => Record(order, "normal"), CancellationToken.None);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        hold.SetResult();
        await holding;
        await normal;

        Assert.Equal(["normal"], order);
        Assert.Equal(0, lane.Waiting);
    }

    [Fact]
    public async Task IndexBatchIsWrittenBeforeGrainStateWritesThatWereWaitingForTheFile()
    {
        var database = await _database.FleetDatabaseAsync();
        var lane = WriteLane.For(_database.Path); // the lane grain storage on this file writes through
        var store = new FleetIndexStore(database);
        var hold = new TaskCompletionSource();
        var holding = lane.RunAsync(() => hold.Task, CancellationToken.None);

        // Grain-state writes queue first; each looks at what the index holds when its turn comes.
        var seenByGrainWrites = new List<long>();
        var grainWrites = Enumerable.Range(0, 3).Select(_ => lane.RunAsync(
            async () =>
            {
                var rows = await _database.ScalarAsync<long>("SELECT COUNT(*) FROM fleet_devices");
                lock (seenByGrainWrites)
                {
                    seenByGrainWrites.Add(rows);
                }
            },
            CancellationToken.None)).ToList();

        var now = DateTimeOffset.UtcNow;
        var entry = new IndexEntry { Kind = DeviceKind.Lamp, Id = "DU-L-LANE", Borough = Boroughs.Mitte, Version = 1 };
        var indexBatch = store.ApplyAsync([IndexChange.Upsert(entry)], now, now.AddDays(-2), CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(lane.Waiting == 4), "the index batch queues behind the write in progress");

        hold.SetResult();
        await holding;
        Assert.Equal(1, await indexBatch);
        await Task.WhenAll(grainWrites);

        Assert.Equal([1L, 1L, 1L], seenByGrainWrites);
    }

    private static Task Record(List<string> order, string name)
    {
        lock (order)
        {
            order.Add(name);
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _database.Dispose();
}
