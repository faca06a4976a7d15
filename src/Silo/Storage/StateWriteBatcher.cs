using System.Data;
using System.Data.Common;
using System.Threading.Channels;

namespace Fleet.Silo.Storage;

/// <summary>Where one grain's state row lives in fleet_grain_state (the columns of its primary key).</summary>
internal readonly record struct GrainStateKey(string ServiceId, string GrainType, long N0, long N1, string Extension)
{
    /// <summary>
    /// The key columns the Orleans ADO.NET provider uses for <paramref name="grainId"/>, so rows written
    /// here and read by the provider are the same rows: Guid keys by their two halves, integer keys in
    /// N1, string keys in the extension column.
    /// </summary>
    public static GrainStateKey For(string serviceId, string grainType, GrainId grainId)
    {
        if (grainId.TryGetGuidKey(out var guid, out var guidExtension))
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes);
            return new(serviceId, grainType, BitConverter.ToInt64(bytes[..8]), BitConverter.ToInt64(bytes[8..]), guidExtension ?? "");
        }

        if (grainId.TryGetIntegerKey(out var integer, out var integerExtension))
        {
            return new(serviceId, grainType, 0, integer, integerExtension ?? "");
        }

        return new(serviceId, grainType, 0, 0, grainId.Key.ToString()!);
    }
}

/// <summary>
/// Group commit for grain state. Writes from many grains queue here and are committed together,
/// several rows per transaction, each row still guarded by its own version (the provider's
/// WriteToStorageKey query, read from OrleansQuery, so the SQL exists once). On SQLite the batch
/// takes one turn of the write lane and one WAL sync instead of one each per grain; on PostgreSQL
/// one round trip and one commit per batch.
/// </summary>
/// <remarks>
/// A grain has at most one write in flight, so concurrent batches never touch the same row. A
/// failed transaction fails every write in it; each grain sees the exception of its own write.
/// </remarks>
internal sealed partial class StateWriteBatcher : IAsyncDisposable
{
    /// <summary>Rows per transaction at most: bounds how long one batch holds the SQLite writer.</summary>
    internal const int MaxBatch = 256;

    private readonly FleetDatabase _database;
    private readonly ILogger _logger;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new() { SingleReader = false });
    private readonly Task[] _flushers;
    private string? _writeQuery;
    private long _batches;
    private long _writes;

    /// <param name="flushers">Batches in flight at once: 1 for SQLite (one writer anyway), more for PostgreSQL.</param>
    public StateWriteBatcher(FleetDatabase database, int flushers, ILogger<StateWriteBatcher> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(flushers, 1);
        _database = database;
        _logger = logger;
        _flushers = [.. Enumerable.Range(0, flushers).Select(_ => Task.Run(FlushLoopAsync))];
    }

    /// <summary>Transactions committed so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Rows written so far, in <see cref="Batches"/> transactions.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>
    /// Writes <paramref name="payload"/> to the row at <paramref name="key"/> if the row is still at
    /// <paramref name="expectedVersion"/> (null: the grain has never seen a row). Returns the new
    /// version, or null on a version conflict.
    /// </summary>
    public Task<int?> WriteAsync(GrainStateKey key, byte[] payload, int? expectedVersion, CancellationToken cancellationToken)
    {
        var write = new PendingWrite(key, payload, expectedVersion, cancellationToken);
        if (!_queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(StateWriteBatcher), "The silo's grain-state writer has stopped.");
        }

        return write.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_flushers);
    }

    private async Task FlushLoopAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write))
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Done.TrySetCanceled(write.CancellationToken);
                    continue;
                }

                batch.Add(write);
            }

            if (batch.Count > 0)
            {
                await FlushAsync(batch);
            }
        }
    }

    private async Task FlushAsync(List<PendingWrite> batch)
    {
        try
        {
            var versions = await _database.WriteAsync((connection, transaction) => ExecuteAsync(connection, transaction, batch), CancellationToken.None);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _writes, batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(versions[i]);
            }
        }
        catch (Exception exception)
        {
            BatchFailed(_logger, exception, batch.Count, _database.Engine);
            foreach (var write in batch)
            {
                write.Done.TrySetException(exception);
            }
        }
    }

    private async Task<int?[]> ExecuteAsync(DbConnection connection, DbTransaction transaction, List<PendingWrite> batch)
    {
        _writeQuery ??= await ReadWriteQueryAsync(connection, transaction);
        var versions = new int?[batch.Count];
        if (connection.CanCreateBatch)
        {
            // PostgreSQL: every row's statement in one round trip, one result set each.
            var dbBatch = connection.CreateBatch();
            await using (dbBatch)
            {
                dbBatch.Transaction = transaction;
                foreach (var write in batch)
                {
                    var command = dbBatch.CreateBatchCommand();
                    command.CommandText = _writeQuery;
                    AddParameters(command.Parameters, command.CreateParameter, write);
                    dbBatch.BatchCommands.Add(command);
                }

                var reader = await dbBatch.ExecuteReaderAsync();
                await using (reader)
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        versions[i] = await reader.ReadAsync() ? reader.GetInt32(0) : null;
                        await reader.NextResultAsync();
                    }
                }
            }

            return versions;
        }

        // SQLite runs in process: one prepared statement, re-bound per row.
        var single = connection.CreateCommand();
        await using (single)
        {
            single.Transaction = transaction;
            single.CommandText = _writeQuery;
            for (var i = 0; i < batch.Count; i++)
            {
                single.Parameters.Clear();
                AddParameters(single.Parameters, single.CreateParameter, batch[i]);
                versions[i] = await single.ExecuteScalarAsync() is { } value and not DBNull ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : null;
            }
        }

        return versions;
    }

    private static async Task<string> ReadWriteQueryAsync(DbConnection connection, DbTransaction transaction)
    {
        var command = connection.CreateCommand();
        await using (command)
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey'";
            return await command.ExecuteScalarAsync() as string
                ?? throw new InvalidOperationException("OrleansQuery has no WriteToStorageKey row: the storage schema is not applied.");
        }
    }

    private static void AddParameters(DbParameterCollection parameters, Func<DbParameter> create, PendingWrite write)
    {
        Add("ServiceId", DbType.String, write.Key.ServiceId);
        Add("GrainTypeString", DbType.String, write.Key.GrainType);
        Add("GrainIdN0", DbType.Int64, write.Key.N0);
        Add("GrainIdN1", DbType.Int64, write.Key.N1);
        Add("GrainIdExtensionString", DbType.String, write.Key.Extension);
        Add("GrainStateVersion", DbType.Int32, write.ExpectedVersion);
        Add("PayloadBinary", DbType.Binary, write.Payload);

        void Add(string name, DbType type, object? value)
        {
            var parameter = create();
            parameter.ParameterName = name;
            parameter.DbType = type;
            parameter.Value = value ?? DBNull.Value;
            parameters.Add(parameter);
        }
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "A batch of {Count} grain-state writes to {Engine} failed; each grain gets the error")]
    private static partial void BatchFailed(ILogger logger, Exception exception, int count, string engine);

    private sealed class PendingWrite(GrainStateKey key, byte[] payload, int? expectedVersion, CancellationToken cancellationToken)
    {
        public GrainStateKey Key { get; } = key;

        public byte[] Payload { get; } = payload;

        public int? ExpectedVersion { get; } = expectedVersion;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<int?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
