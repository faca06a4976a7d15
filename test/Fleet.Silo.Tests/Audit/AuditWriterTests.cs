using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;
using Fleet.Silo.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Tests.Audit;

/// <summary>The batching writer on SQLite: callers never wait for the disk; batches by size, by time, and at shutdown.</summary>
public sealed class AuditWriterTests : IDisposable
{
    private readonly SqliteTestDatabase _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task RecordingDoesNotWaitForTheWriteLane()
    {
        var (writer, _) = await StartAsync(new AuditOptions());
        var laneHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = WriteLane.For(Path.GetFullPath(_file.Path)).RunAsync(
            async () =>
            {
                laneHeld.SetResult();
                await release.Task;
            },
            CancellationToken.None);
        await laneHeld.Task;

        // While grain storage (say) holds the lane, 500 requests record without waiting.
        var recorded = Enumerable.Range(0, 500).Select(i => writer.RecordAsync(Entry(i))).ToList();
        Assert.All(recorded, record => Assert.True(record.IsCompletedSuccessfully));

        release.SetResult();
        await holder;
        await writer.FlushAsync();
        Assert.Equal(500, await _file.ScalarAsync<int>("SELECT count(*) FROM fleet_audit"));
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFullBatchIsWrittenAtOnceAndTheRestAtShutdown()
    {
        var (writer, _) = await StartAsync(new AuditOptions { BatchSize = 100, FlushInterval = TimeSpan.FromMinutes(1) });

        for (var i = 0; i < 250; i++)
        {
            await writer.RecordAsync(Entry(i));
        }

        await Poll.UntilAsync(async () => await _file.ScalarAsync<int>("SELECT count(*) FROM fleet_audit") >= 200, "two full batches");
        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(250, await _file.ScalarAsync<int>("SELECT count(*) FROM fleet_audit"));

        // After shutdown an entry is still kept: written on its own.
        await writer.RecordAsync(Entry(250));
        Assert.Equal(251, await _file.ScalarAsync<int>("SELECT count(*) FROM fleet_audit"));
    }

    [Fact]
    public async Task ALoneEntryIsWrittenAfterTheFlushInterval()
    {
        var (writer, _) = await StartAsync(new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(200) });

        await writer.RecordAsync(Entry(1));

        await Poll.UntilAsync(async () => await _file.ScalarAsync<int>("SELECT count(*) FROM fleet_audit") == 1, "the flush interval to pass");
        await writer.StopAsync(CancellationToken.None);
    }

    private static AuditEntry Entry(int i) =>
        new(DateTimeOffset.UtcNow, new FleetActor("test", "test", "admin"), "device.desired", "lamp", $"DU-L-{i}", null, 200, AuditOutcome.Ok);

    private async Task<(AuditWriter Writer, AuditStore Store)> StartAsync(AuditOptions options)
    {
        await SchemaInstaller.ApplySqliteAsync(_file.Path);
        var database = new SqliteFleetDatabase(Path.GetFullPath(_file.Path));
        database.MarkSchemaApplied();
        var store = new AuditStore(database);
        var writer = new AuditWriter(store, Options.Create(options), NullLogger<AuditWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        return (writer, store);
    }
}
