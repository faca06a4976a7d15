using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Silo.Tests.Storage;

/// <summary>
/// Group commit of grain state: rows from many grains in one transaction, each still guarded by its
/// own version, on both engines.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class StateWriteBatcherTests : IDisposable
{
    private const string ServiceId = "batcher-test";
    private readonly SqliteTestDatabase _sqlite = new();

    [Fact]
    public async Task WritesWaitingForTheFileAreCommittedTogetherAndAConflictFailsOnlyItsOwnRow()
    {
        var database = await _sqlite.FleetDatabaseAsync();
        var batcher = NewBatcher(database, flushers: 1);
        await using (batcher)
        {
            var release = HoldTheLane();

            var fresh = Enumerable.Range(0, 50).Select(i => batcher.WriteAsync(Key($"bay-{i}"), [1, 2, 3], null, CancellationToken.None)).ToList();
            var stale = batcher.WriteAsync(Key("bay-stale"), [4], expectedVersion: 7, CancellationToken.None);
            await release();

            Assert.All(await Task.WhenAll(fresh), version => Assert.Equal(1, version));
            Assert.Null(await stale);

            // The first write may have been taken alone before the lane opened; the rest share one transaction.
            Assert.Equal(51, batcher.Writes);
            Assert.InRange(batcher.Batches, 1, 2);
            Assert.Equal(50, await _sqlite.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state WHERE version = 1"));
        }
    }

    [Fact]
    public async Task RowsMoveVersionByVersionOnSqlite()
    {
        var database = await _sqlite.FleetDatabaseAsync();
        await RowsMoveVersionByVersionAsync(database);
        Assert.Equal(40, await _sqlite.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state WHERE version = 2 AND payload = x'09'"));
    }

    [Fact]
    public async Task RowsMoveVersionByVersionOnPostgreSql()
    {
        var postgres = await PostgreSqlFleetTestDatabase.CreateAsync();
        await using (postgres)
        {
            await RowsMoveVersionByVersionAsync(postgres.Database);
        }
    }

    [Fact]
    public async Task AWriteCancelledBeforeItsBatchIsNotWritten()
    {
        var database = await _sqlite.FleetDatabaseAsync();
        var batcher = NewBatcher(database, flushers: 1);
        await using (batcher)
        {
            var release = HoldTheLane();
            var first = batcher.WriteAsync(Key("lamp-first"), [1], null, CancellationToken.None);
            await Poll.UntilAsync(() => Task.FromResult(WriteLane.For(_sqlite.Path).Waiting == 1), "the first batch waits for the lane");

            using var cancellation = new CancellationTokenSource();
            var cancelled = batcher.WriteAsync(Key("lamp-cancelled"), [2], null, cancellation.Token);
            await cancellation.CancelAsync();
            await release();

            Assert.Equal(1, await first);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(0, await _sqlite.ScalarAsync<int>("SELECT count(*) FROM fleet_grain_state WHERE grain_id_ext = 'lamp-cancelled'"));
        }
    }

    /// <summary>40 grains insert, then update with their version, while a stale writer of each is refused.</summary>
    private static async Task RowsMoveVersionByVersionAsync(FleetDatabase database)
    {
        var batcher = NewBatcher(database, flushers: 2);
        await using (batcher)
        {
            var keys = Enumerable.Range(0, 40).Select(i => Key($"meter-{i}")).ToList();
            var inserted = await Task.WhenAll(keys.Select(key => batcher.WriteAsync(key, [8], null, CancellationToken.None)));
            Assert.All(inserted, version => Assert.Equal(1, version));

            var second = keys.Select(key => batcher.WriteAsync(key, [9], 1, CancellationToken.None)).ToList();
            var secondInsert = keys.Select(key => batcher.WriteAsync(key with { GrainType = "other@type" }, [9], null, CancellationToken.None)).ToList();
            Assert.All(await Task.WhenAll(second), version => Assert.Equal(2, version));
            Assert.All(await Task.WhenAll(secondInsert), version => Assert.Equal(1, version));

            var stale = await Task.WhenAll(keys.Select(key => batcher.WriteAsync(key, [7], 1, CancellationToken.None)));
            var doubleInsert = await Task.WhenAll(keys.Select(key => batcher.WriteAsync(key, [7], null, CancellationToken.None)));
            Assert.All(stale, Assert.Null);
            Assert.All(doubleInsert, Assert.Null);
            Assert.Equal(keys.Count * 5, batcher.Writes); // insert, update, other type, stale, double insert
        }
    }

    private static StateWriteBatcher NewBatcher(FleetDatabase database, int flushers) =>
        new(database, flushers, NullLogger<StateWriteBatcher>.Instance);

    /// <summary>Takes the file's write lane, as a long write would; the returned call gives it back.</summary>
    private Func<Task> HoldTheLane()
    {
        var hold = new TaskCompletionSource();
        var holding = WriteLane.For(_sqlite.Path).RunAsync(() => hold.Task, CancellationToken.None);
        return async () =>
        {
            hold.SetResult();
            await holding;
        };
    }

    private static GrainStateKey Key(string id) => GrainStateKey.For(ServiceId, "twin@probe", GrainId.Create("probe", id));

    public void Dispose() => _sqlite.Dispose();
}
